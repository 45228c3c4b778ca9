"""fit(train_index=, val_index=, batch_transform=): training on rows of a (memory-mapped)
dataset without copying it, equal to training on the materialised, transformed arrays."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from service.engine import (
    FitData,
    FitHooks,
    FitOptions,
    SpecError,
    TrainingState,
    build_network,
    fit,
)

SPEC = [
    {"type": "dense", "units": 16, "activation": "relu"},
    {"type": "dropout", "rate": 0.1},
    {"type": "dense", "units": 3, "activation": "softmax"},
]
OPTS = {"loss": "cross_entropy", "optimizer": {"type": "adam", "learning_rate": 0.01}}


def _dataset(n: int, f: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.standard_normal((n, f)) * 3.0 + 10.0
    X[:, 0] += y * 12.0
    X[:, 1] -= y * 9.0
    return X, y


def _memmap(tmp_path, X: np.ndarray):
    path = tmp_path / "X.npy"
    np.save(path, X)
    return np.load(path, mmap_mode="r")


def _split(n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(7).permutation(n)
    return order[: n * 3 // 4], order[n * 3 // 4 :]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_memmap_index_transform_equals_materialised(tmp_path, dtype):
    X, y = _dataset(300, 5)
    X = X.astype(dtype)
    Xm = _memmap(tmp_path, X)
    tr, va = _split(len(y))
    mu, sd = X[tr].mean(0), X[tr].std(0)

    def scale(batch: np.ndarray) -> np.ndarray:
        return (batch - mu) / sd

    a = build_network(SPEC, (5,), seed=3)
    options = FitOptions(epochs=4, batch_size=16, seed=5, **OPTS)
    ra = fit(a, FitData(Xm, y, train_index=tr, val_index=va, batch_transform=scale), options)
    b = build_network(SPEC, (5,), seed=3)
    rb = fit(b, FitData(scale(X[tr]), y[tr], X_val=scale(X[va]), y_val=y[va]), options)
    wa, wb = a.get_weights(), b.get_weights()
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)
    assert [r.loss for r in ra.history] == [r.loss for r in rb.history]
    assert [r.val_loss for r in ra.history] == [r.val_loss for r in rb.history]
    assert ra.history[-1].metrics == rb.history[-1].metrics
    assert ra.history[-1].metrics["val_accuracy"] > 0.8


def test_index_without_transform_and_no_shuffle():
    X, y = _dataset(120, 4)
    tr, va = _split(len(y))
    a, b = build_network(SPEC, (4,), seed=1), build_network(SPEC, (4,), seed=1)
    options = FitOptions(epochs=2, batch_size=10, shuffle=False, **OPTS)
    fit(a, FitData(X, y, train_index=tr, val_index=va), options)
    fit(b, FitData(X[tr], y[tr], X_val=X[va], y_val=y[va]), options)
    wa, wb = a.get_weights(), b.get_weights()
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)


def test_batches_do_not_copy_the_dataset(tmp_path):
    n, f = 40_000, 100  # 16 MB of float32
    X, y = _dataset(n, f)
    Xm = _memmap(tmp_path, X.astype(np.float32))
    del X
    tr, va = _split(n)
    mu, sd = np.float32(10.0), np.float32(3.0)
    net = build_network(SPEC, (f,), seed=0)
    tracemalloc.start()
    try:
        fit(
            net,
            FitData(Xm, y, train_index=tr, val_index=va, batch_transform=lambda b: (b - mu) / sd),
            FitOptions(epochs=1, batch_size=64, **OPTS),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < Xm.nbytes / 8, f"peak {peak} bytes for a {Xm.nbytes}-byte dataset"


def test_resume_with_index_is_bit_identical():
    X, y = _dataset(200, 4)
    tr, va = _split(len(y))
    data = FitData(X, y, train_index=tr, val_index=va)
    options = FitOptions(epochs=4, batch_size=16, seed=2, **OPTS)
    full = build_network(SPEC, (4,), seed=0)
    fit(full, data, options)
    states: list[TrainingState] = []
    part = build_network(SPEC, (4,), seed=0)
    fit(part, data, options, FitHooks(should_stop=lambda: len(states) == 2,
        on_checkpoint=states.append))  # fmt: skip
    resumed = build_network(SPEC, (4,), seed=9)
    res = fit(resumed, data, options, resume=states[-1])
    assert [r.epoch for r in res.history] == [1, 2, 3, 4]
    wa, wb = full.get_weights(), resumed.get_weights()
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"train_index": np.array([0, 500])}, "outside"),
        ({"train_index": np.array([[0, 1]])}, "1-D"),
        ({"train_index": np.array([0.5, 1.0])}, "integer"),
        ({"val_index": np.array([-1])}, "outside"),
        ({"val_index": np.array([1]), "X_val": np.zeros((1, 4)), "y_val": [0]}, "either"),
        ({"batch_transform": lambda b: b[:, :2]}, "batch_transform returned shape"),
    ],
)
def test_bad_index_arguments(kwargs, message):
    X, y = _dataset(50, 4)
    net = build_network(SPEC, (4,), seed=0)
    with pytest.raises(SpecError, match=message):
        fit(net, FitData(X, y, **kwargs), FitOptions(epochs=1, batch_size=8, **OPTS))


def test_predict_is_fresh_and_matches_forward():
    X, _ = _dataset(5, 4)
    net = build_network(SPEC, (4,), seed=0)
    one = net.predict(X[:1])
    again = net.predict(X[:1])
    assert one is not again and np.array_equal(one, again)
    np.testing.assert_allclose(net.predict(X), net.forward(X), rtol=1e-6)
    np.testing.assert_allclose(net.predict(X, batch_size=2), net.predict(X), rtol=1e-6)
