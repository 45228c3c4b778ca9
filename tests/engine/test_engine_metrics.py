"""Metric helpers vs scikit-learn, and streaming accumulators vs whole-array metrics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from service.engine.metrics import (
    ClassificationAccumulator,
    RegressionAccumulator,
    accuracy,
    mean_absolute_error,
    r2_score,
    to_labels,
)


def test_to_labels():
    np.testing.assert_array_equal(to_labels(np.array([[0.1, 0.9], [0.8, 0.2]])), [1, 0])
    np.testing.assert_array_equal(to_labels(np.array([[0.7], [0.2]])), [1, 0])
    np.testing.assert_array_equal(to_labels(np.array([2, 0])), [2, 0])


def test_accuracy_variants(rng):
    probs = rng.random((50, 4))
    y = rng.integers(0, 4, 50)
    assert accuracy(probs, y) == pytest.approx(skm.accuracy_score(y, probs.argmax(1)))
    assert accuracy(probs, np.eye(4)[y]) == accuracy(probs, y)
    p = rng.random((50, 1))
    yb = rng.integers(0, 2, 50)
    assert accuracy(p, yb) == pytest.approx(skm.accuracy_score(yb, p[:, 0] >= 0.5))


@pytest.mark.parametrize("k", [1, 3])
def test_regression_metrics_match_sklearn(k, rng):
    y = rng.standard_normal((40, k))
    p = y + 0.3 * rng.standard_normal((40, k))
    assert r2_score(p, y) == pytest.approx(skm.r2_score(y, p))
    assert mean_absolute_error(p, y) == pytest.approx(skm.mean_absolute_error(y, p))
    assert r2_score(y, y) == 1.0


def test_r2_constant_target():
    y = np.ones(5)
    assert r2_score(y, y) == 1.0
    assert r2_score(y + 1, y) == 0.0


def test_accumulators_match_whole_array(rng):
    y = rng.standard_normal((100, 2)) * 3 + 1
    p = y + rng.standard_normal((100, 2))
    acc = RegressionAccumulator()
    for s in range(0, 100, 32):
        acc.update(p[s : s + 32].astype(np.float32), y[s : s + 32].astype(np.float32))
    res = acc.result("val_")
    assert res["val_r2"] == pytest.approx(r2_score(p, y), rel=1e-5)
    assert res["val_mae"] == pytest.approx(mean_absolute_error(p, y), rel=1e-5)

    probs = rng.random((100, 3))
    labels = rng.integers(0, 3, 100)
    cacc = ClassificationAccumulator()
    for s in range(0, 100, 32):
        cacc.update(probs[s : s + 32], labels[s : s + 32])
    assert cacc.result()["accuracy"] == pytest.approx(accuracy(probs, labels))
