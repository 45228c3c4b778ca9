"""Chunked evaluation metrics agree with scikit-learn on random data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from service.serving.metrics import ClassificationScores, RegressionScores, class_probabilities


def _random_classification(n: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes)) + 1.5 * np.eye(classes)[y]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probs, y


def _scores_in_chunks(probs: np.ndarray, y: np.ndarray, chunk: int) -> ClassificationScores:
    scores = ClassificationScores(probs.shape[1])
    for start in range(0, len(y), chunk):
        scores.update(probs[start : start + chunk], y[start : start + chunk])
    return scores


@pytest.mark.parametrize("classes", [2, 4])
def test_classification_metrics_match_sklearn(classes):
    probs, y = _random_classification(3000, classes, seed=classes)
    out = _scores_in_chunks(probs, y, chunk=700).result([f"c{k}" for k in range(classes)])
    pred = probs.argmax(axis=1)
    assert out["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert out["log_loss"] == pytest.approx(skm.log_loss(y, probs), rel=1e-9)
    assert out["confusion_matrix"]["matrix"] == skm.confusion_matrix(y, pred).tolist()
    p, r, f, s = skm.precision_recall_fscore_support(y, pred, zero_division=0)
    for k in range(classes):
        got = out["per_class"][f"c{k}"]
        assert got["precision"] == pytest.approx(p[k]) and got["recall"] == pytest.approx(r[k])
        assert got["f1"] == pytest.approx(f[k]) and got["support"] == s[k]
    if classes == 2:
        want = skm.roc_auc_score(y, probs[:, 1])
    else:
        want = skm.roc_auc_score(y, probs, multi_class="ovr", average="macro")
    assert out["roc_auc"] == pytest.approx(want, abs=1e-3)
    assert out["roc_auc"] != pytest.approx(0.5, abs=0.05)  # the data does separate


def test_binary_auc_and_curve_of_a_confident_model():
    """Saturated sigmoid outputs keep their order (bins are on the log-odds scale)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    p1 = 1.0 / (1.0 + np.exp(-(rng.normal(size=4000) * 2 + 9 * (2 * y - 1))))
    scores = ClassificationScores(2)
    scores.update(class_probabilities(p1[:, None]), y)
    assert scores.roc_auc() == pytest.approx(skm.roc_auc_score(y, p1), abs=1e-3)
    curve = scores.roc_curves(["no", "yes"])
    assert curve["positive"] == "yes" and curve["fpr"][0] == 0.0 and curve["tpr"][-1] == 1.0
    assert all(np.diff(curve["fpr"]) >= 0) and all(np.diff(curve["tpr"]) >= 0)


def test_auc_is_none_without_both_outcomes_and_skips_absent_classes():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1]])
    scores = ClassificationScores(3)
    y = np.array([0, 1, 0])
    scores.update(probs, y)  # class 2 never occurs: left out of the macro mean
    want = np.mean([skm.roc_auc_score(y == k, probs[:, k]) for k in (0, 1)])
    assert scores.roc_auc() == pytest.approx(want)
    only = ClassificationScores(2)
    only.update(np.array([[0.3, 0.7]]), np.array([1]))
    assert only.roc_auc() is None and only.roc_curves(["a", "b"])["fpr"] == []


def test_regression_metrics_match_sklearn_in_chunks():
    rng = np.random.default_rng(1)
    y = rng.normal(50, 10, 5000)
    pred = y + rng.normal(0, 3, 5000)
    scores = RegressionScores()
    for start in range(0, 5000, 999):
        scores.update(pred[start : start + 999], y[start : start + 999])
    out = scores.result()
    assert out["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert out["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)))
    assert out["r2"] == pytest.approx(skm.r2_score(y, pred))


def test_r2_of_a_constant_target_is_like_sklearn():
    for pred in ([2.0, 2.0], [2.0, 3.0]):
        scores = RegressionScores()
        scores.update(np.array(pred), np.array([2.0, 2.0]))
        assert scores.r2() == skm.r2_score([2.0, 2.0], pred)
