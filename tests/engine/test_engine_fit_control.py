"""fit(): divergence, cancellation, early stopping, callbacks, epoch records and bad
arguments."""

from __future__ import annotations

import re

import numpy as np
import pytest

from service.engine import (
    EpochRecord,
    FitData,
    FitHooks,
    FitOptions,
    FitResult,
    SpecError,
    TrainingDiverged,
    build_network,
    build_optimizer,
    fit,
)


def test_divergence_raises():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4)) * 1000
    y = X.sum(1) * 1000
    net = build_network([{"type": "dense", "units": 8}, {"type": "dense", "units": 1}], (4,))
    with pytest.raises(TrainingDiverged) as info:
        fit(
            net,
            FitData(X, y),
            FitOptions(
                loss="mse",
                optimizer={"type": "sgd", "learning_rate": 10.0},
                epochs=5,
                batch_size=8,
                task="regression",
            ),
        )
    msg = str(info.value)
    assert re.fullmatch(r"diverged at epoch \d+: loss is (nan|inf); try a lower learning rate", msg)
    assert info.value.epoch >= 1


def test_should_stop_cancels_mid_epoch(blobs, blob_mlp):
    X, y = blobs
    net = build_network(blob_mlp, (2,), seed=0)
    opt = build_optimizer({"type": "sgd", "learning_rate": 0.1})
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    res = fit(
        net,
        FitData(X, y),
        FitOptions(loss="cross_entropy", optimizer=opt, epochs=5, batch_size=10),
        FitHooks(should_stop=should_stop),
    )
    assert res.stopped == "cancelled"
    assert res.history == []
    assert opt.step_count == 3


def test_early_stopping_restores_best():
    # validation labels are flipped, so val loss gets worse as training improves
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2))
    y = (X[:, 0] > 0).astype(int)
    layers = [
        {"type": "dense", "units": 8, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "sigmoid"},
    ]
    net = build_network(layers, (2,), seed=0)
    snapshots: dict[int, dict[str, np.ndarray]] = {}
    records: list[EpochRecord] = []

    def on_epoch_end(rec: EpochRecord) -> None:
        records.append(rec)
        snapshots[rec.epoch] = net.get_weights()

    res = fit(
        net,
        FitData(X, y, X_val=X, y_val=1 - y),
        FitOptions(
            loss="binary_cross_entropy",
            optimizer={"type": "adam", "learning_rate": 0.05},
            epochs=50,
            batch_size=10,
            early_stopping={"patience": 2},
        ),
        FitHooks(on_epoch_end=on_epoch_end),
    )
    assert isinstance(res, FitResult)
    assert res.stopped == "early_stopping"
    assert res.best_epoch == 1 and res.restored_epoch == 1
    assert len(res.history) == 3 and records == res.history
    best = snapshots[1]
    assert all(np.array_equal(best[k], v) for k, v in net.get_weights().items())


def test_early_stopping_without_restore_and_on_train_loss(blobs, blob_mlp):
    X, y = blobs
    net = build_network(blob_mlp, (2,), seed=0)
    res = fit(
        net,
        FitData(X, y),
        FitOptions(
            loss="cross_entropy",
            optimizer={"type": "sgd", "learning_rate": 0.05},
            epochs=8,
            batch_size=16,
            early_stopping={"patience": 3, "min_delta": 10.0, "restore_best": False},
        ),
    )
    # nothing improves by 10.0 after epoch 1 -> stops after 1 + 3 epochs
    assert res.stopped == "early_stopping"
    assert res.best_epoch == 1
    assert res.restored_epoch is None  # the network holds epoch 4's weights
    assert len(res.history) == 4


def test_epoch_records(blobs, blob_mlp):
    X, y = blobs
    net = build_network(blob_mlp, (2,), seed=0)
    options = FitOptions(loss="cross_entropy", optimizer={"type": "adam"}, epochs=3, batch_size=32)
    res = fit(net, FitData(X, y), options)
    assert res.stopped is None
    assert [r.epoch for r in res.history] == [1, 2, 3]
    rec = res.history[0]
    d = rec.to_dict()
    assert set(d) == {"epoch", "loss", "val_loss", "metrics", "seconds", "samples_per_second"}
    assert d["val_loss"] is None and isinstance(d["loss"], float)
    assert rec.seconds > 0 and rec.samples_per_second > 0
    assert res.best_epoch is None  # only tracked with early stopping


@pytest.mark.parametrize(
    "kwargs",
    [
        {"loss": "hinge"},
        {"optimizer": {"type": "nope"}},
        {"epochs": 0},
        {"batch_size": 0},
        {"task": "ranking"},
        {"early_stopping": {"patience": 0}},
        {"early_stopping": {"patience": 2, "monitor": "x"}},
        {"y": np.array([0, 1, 5])},
        {"y": np.array([0.5, 1, 2])},
        {"y": np.array([0, 1])},
        {"X_val": np.zeros((3, 2))},
    ],
)
def test_bad_fit_arguments(kwargs, blob_mlp):
    net = build_network(blob_mlp, (2,), seed=0)
    args = {
        "loss": "cross_entropy",
        "optimizer": {"type": "sgd"},
        "epochs": 1,
        "batch_size": 2,
        "y": np.array([0, 1, 2]),
    }
    args.update(kwargs)
    data = {key: args.pop(key) for key in ("y", "X_val") if key in args}
    with pytest.raises(SpecError):
        fit(net, FitData(np.zeros((3, 2)), **data), FitOptions(**args))
