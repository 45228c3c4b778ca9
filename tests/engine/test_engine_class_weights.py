"""Class-weighted classification losses: the weighted mean over the batch, finite-difference
gradients (plain and fused), equal weights change nothing, and fit takes them."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine import ACTIVATIONS, FitData, FitOptions, SpecError, build_network, fit, get_loss

WEIGHTS = (0.5, 3.0, 1.5)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("onehot", [False, True])
def test_weighted_cross_entropy_value_and_gradients(onehot, gradcheck, rng):
    loss = get_loss("cross_entropy", WEIGHTS)
    idx = rng.integers(0, 3, 7)
    y = np.eye(3)[idx] if onehot else idx
    z = rng.standard_normal((7, 3))
    p = softmax(z)
    w = np.asarray(WEIGHTS)[idx]
    want = -np.sum(w * np.log(p[np.arange(7), idx])) / w.sum()
    assert loss.value(p, y) == pytest.approx(want)
    gradcheck.assert_close(lambda: loss.value(p, y), p, loss.grad(p, y))
    gradcheck.assert_close(lambda: loss.value(softmax(z), y), z, loss.fused_grad(p, y))
    chained = ACTIVATIONS["softmax"].backward(loss.grad(p, y), p)
    np.testing.assert_allclose(loss.fused_grad(p, y), chained, rtol=1e-9, atol=1e-12)


def test_weighted_binary_cross_entropy_value_and_gradients(gradcheck, rng):
    loss = get_loss("binary_cross_entropy", (1.0, 4.0))
    y = rng.integers(0, 2, (8, 1)).astype(np.float64)
    z = rng.standard_normal((8, 1))
    p = sigmoid(z)
    w = np.where(y == 1, 4.0, 1.0)
    want = -np.sum(w * (y * np.log(p) + (1 - y) * np.log(1 - p))) / w.sum()
    assert loss.value(p, y) == pytest.approx(want)
    gradcheck.assert_close(lambda: loss.value(p, y), p, loss.grad(p, y))
    gradcheck.assert_close(lambda: loss.value(sigmoid(z), y), z, loss.fused_grad(p, y))


def test_equal_weights_are_the_plain_mean(rng):
    p = softmax(rng.standard_normal((5, 3)))
    y = rng.integers(0, 3, 5)
    plain, equal = get_loss("cross_entropy"), get_loss("cross_entropy", (2.0, 2.0, 2.0))
    assert equal.value(p, y) == pytest.approx(plain.value(p, y))
    np.testing.assert_allclose(equal.grad(p, y), plain.grad(p, y))


def test_bad_class_weights_are_refused():
    base = {"optimizer": {"type": "sgd"}, "epochs": 1, "batch_size": 4}
    for weights, task, words in (
        ((1.0, 0.0), "classification", "positive"),
        ((1.0,), "classification", "one per class"),
        ((1.0, 2.0), "regression", "classification loss"),
    ):
        with pytest.raises(SpecError, match=words):
            FitOptions(**base, task=task, class_weights=weights)


def test_fit_with_class_weights_predicts_the_heavy_class_more(blobs):
    X, y = blobs
    layers = [{"type": "dense", "units": 3, "activation": "softmax"}]
    predicted_heavy = []
    for weights in (None, (1.0, 1.0, 25.0)):
        net = build_network(layers, (2,), seed=0)
        options = FitOptions(
            optimizer={"type": "sgd", "learning_rate": 0.05},
            epochs=3,
            batch_size=16,
            class_weights=weights,
        )
        fit(net, FitData(X=X.astype(np.float32), y=y), options)
        predicted = net.predict(X.astype(np.float32)).argmax(axis=1)
        predicted_heavy.append(int(np.sum(predicted == 2)))
    assert predicted_heavy[1] > predicted_heavy[0] + 10  # the weight pulls rows to class 2
