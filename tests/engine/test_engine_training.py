"""fit(): learning and determinism (run control and bad arguments: test_engine_fit_control)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

from service.engine import (
    FitData,
    FitOptions,
    build_network,
    build_optimizer,
    fit,
)
from service.engine.metrics import accuracy, r2_score


def _train(blobs, blob_mlp, seed: int, fit_seed: int, epochs: int = 5):
    X, y = blobs
    net = build_network(blob_mlp, (2,), seed=seed)
    options = FitOptions(
        loss="cross_entropy",
        optimizer={"type": "adam", "learning_rate": 0.01},
        epochs=epochs,
        batch_size=16,
        seed=fit_seed,
    )
    fit(net, FitData(X, y), options)
    return net.get_weights()


def test_same_seed_bit_identical(blobs, blob_mlp):
    a, b = _train(blobs, blob_mlp, 1, 2), _train(blobs, blob_mlp, 1, 2)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert all(v.dtype == np.float32 for v in a.values())


@pytest.mark.parametrize("seeds", [(3, 2), (1, 4)])
def test_different_seed_differs(seeds, blobs, blob_mlp):
    a, b = _train(blobs, blob_mlp, 1, 2), _train(blobs, blob_mlp, *seeds)
    assert not all(np.array_equal(a[k], b[k]) for k in a)


def test_resume_is_bit_identical(blobs, blob_mlp):
    """Two fit calls (start_epoch) on the same net + optimizer == one uninterrupted fit."""
    X, y = blobs
    full = build_network(blob_mlp, (2,), seed=1)
    ce = {"loss": "cross_entropy", "batch_size": 16}
    fit(full, FitData(X, y), FitOptions(optimizer={"type": "adam"}, epochs=4, **ce))

    net = build_network(blob_mlp, (2,), seed=1)
    opt = build_optimizer({"type": "adam"})
    r1 = fit(net, FitData(X, y), FitOptions(optimizer=opt, epochs=2, **ce))
    r2 = fit(net, FitData(X, y), FitOptions(optimizer=opt, epochs=4, start_epoch=2, **ce))
    assert [r.epoch for r in r1.history + r2.history] == [1, 2, 3, 4]
    a, b = full.get_weights(), net.get_weights()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_learns_xor_bce():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    net = build_network(
        [
            {"type": "dense", "units": 8, "activation": "tanh"},
            {"type": "dense", "units": 1, "activation": "sigmoid"},
        ],
        (2,),
        seed=0,
    )
    res = fit(
        net,
        FitData(X, y),
        FitOptions(
            loss="binary_cross_entropy",
            optimizer={"type": "adam", "learning_rate": 0.05},
            epochs=400,
            batch_size=4,
        ),
    )
    assert accuracy(net.predict(X), y) == 1.0
    assert res.history[-1].metrics["accuracy"] == 1.0
    assert res.history[-1].loss < 0.1


def test_learns_xor_softmax_sgd_momentum():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    net = build_network(
        [
            {"type": "dense", "units": 8, "activation": "tanh"},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ],
        (2,),
        seed=0,
    )
    fit(
        net,
        FitData(X, y),
        FitOptions(
            loss="cross_entropy",
            optimizer={"type": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
            epochs=500,
            batch_size=4,
        ),
    )
    assert accuracy(net.predict(X), y) == 1.0


def test_wine_above_90_percent():
    X, y = load_wine(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, stratify=y, random_state=0)
    mu, sd = X_tr.mean(0), X_tr.std(0)
    X_tr, X_te = (X_tr - mu) / sd, (X_te - mu) / sd
    net = build_network(
        [
            {"type": "dense", "units": 32, "activation": "relu"},
            {"type": "dropout", "rate": 0.1},
            {"type": "dense", "units": 3, "activation": "softmax"},
        ],
        (13,),
        seed=0,
    )
    res = fit(
        net,
        FitData(X_tr, y_tr, X_val=X_te, y_val=y_te),
        FitOptions(
            loss="cross_entropy",
            optimizer={"type": "adam", "learning_rate": 0.01},
            epochs=60,
            batch_size=16,
        ),
    )
    test_acc = accuracy(net.predict(X_te), y_te)
    assert test_acc > 0.9
    assert res.history[-1].metrics["val_accuracy"] == pytest.approx(test_acc)
    assert set(res.history[-1].metrics) == {"accuracy", "val_accuracy"}


def test_one_hot_targets_and_mse_classification(blobs, blob_mlp):
    X, y = blobs
    onehot = np.eye(3)[y]
    net = build_network(blob_mlp, (2,), seed=0)
    res = fit(
        net,
        FitData(X, onehot),
        FitOptions(
            loss="cross_entropy",
            optimizer={"type": "adam", "learning_rate": 0.02},
            epochs=30,
            batch_size=16,
        ),
    )
    assert res.history[-1].metrics["accuracy"] > 0.9


def test_regression_linear_function():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 3))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.05 * rng.standard_normal(400)
    net = build_network(
        [{"type": "dense", "units": 16, "activation": "tanh"}, {"type": "dense", "units": 1}],
        (3,),
        seed=0,
    )
    res = fit(
        net,
        FitData(X[:300], y[:300], X_val=X[300:], y_val=y[300:]),
        FitOptions(
            loss="mse",
            optimizer={"type": "adam", "learning_rate": 0.01},
            epochs=60,
            batch_size=32,
            task="regression",
        ),
    )
    last = res.history[-1]
    assert set(last.metrics) == {"r2", "mae", "val_r2", "val_mae"}
    assert last.metrics["val_r2"] > 0.95
    assert r2_score(net.predict(X[300:]), y[300:]) == pytest.approx(last.metrics["val_r2"])
    assert last.val_loss is not None and last.val_loss < 0.3


def test_regression_mae_loss_linear_model():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 2))
    y = np.stack([X[:, 0] - X[:, 1], 2 * X[:, 0]], axis=1)
    net = build_network([{"type": "dense", "units": 2}], (2,), seed=0)
    res = fit(
        net,
        FitData(X, y),
        FitOptions(
            loss="mae",
            optimizer={"type": "sgd", "learning_rate": 0.05},
            epochs=60,
            batch_size=20,
            task="regression",
        ),
    )
    assert res.history[-1].metrics["r2"] > 0.95


def test_unfused_paths_train(blobs):
    X, y = blobs
    layers = [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 3},
        {"type": "activation", "activation": "softmax"},
        {"type": "dropout", "rate": 0.0},  # last layer not softmax -> unfused CE
    ]
    net = build_network(layers, (2,), seed=0)
    res = fit(
        net,
        FitData(X, y),
        FitOptions(
            loss="cross_entropy",
            optimizer={"type": "adam", "learning_rate": 0.02},
            epochs=30,
            batch_size=16,
        ),
    )
    assert res.history[-1].metrics["accuracy"] > 0.9
