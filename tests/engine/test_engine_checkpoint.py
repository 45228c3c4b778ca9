"""TrainingState: an interrupted-then-resumed fit is bit-identical to an uninterrupted one."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from service.engine import FitData, FitHooks, FitOptions, TrainingState, build_network, fit

LAYERS = [
    {"type": "dense", "units": 16, "activation": "relu"},
    {"type": "batchnorm"},
    {"type": "dropout", "rate": 0.3},
    {"type": "dense", "units": 3, "activation": "softmax"},
]


class Interrupted(Exception):
    pass


def _data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 150)
    X = np.eye(3)[y] @ rng.standard_normal((3, 4)) + rng.standard_normal((150, 4))
    return X[:120], y[:120], X[120:], y[120:]


def _kwargs(schedule, optimizer):
    """FitOptions keyword arguments."""
    return {
        "loss": "cross_entropy",
        "optimizer": optimizer,
        "epochs": 9,
        "batch_size": 16,
        "seed": 3,
        "early_stopping": {"patience": 4, "restore_best": True},
        "lr_schedule": schedule,
        "regularization": {"l2": 1e-3},
        "gradient_clip_norm": 5.0,
    }


def _store(state: TrainingState) -> tuple[bytes, str]:
    """What a service would persist: NPZ bytes + JSON text."""
    arrays, meta = state.to_payload()
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue(), json.dumps(meta, allow_nan=False)


def _load(blob: bytes, text: str) -> TrainingState:
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return TrainingState.from_payload(arrays, json.loads(text))


def _same_history(a, b):
    strip = [
        {k: v for k, v in r.to_dict().items() if k not in ("seconds", "samples_per_second")}
        for r in a
    ]
    assert strip == [
        {k: v for k, v in r.to_dict().items() if k not in ("seconds", "samples_per_second")}
        for r in b
    ]


@pytest.mark.parametrize(
    "schedule,optimizer,k",
    [
        ({"type": "cosine", "warmup_epochs": 2}, {"type": "adam", "learning_rate": 0.02}, 3),
        (
            {"type": "reduce_on_plateau", "patience": 1, "factor": 0.5},
            {"type": "adamw", "learning_rate": 0.05},
            5,
        ),
    ],
)
def test_resume_is_bit_identical(schedule, optimizer, k):
    X, y, Xv, yv = _data()
    data, options = FitData(X, y, X_val=Xv, y_val=yv), FitOptions(**_kwargs(schedule, optimizer))

    full = build_network(LAYERS, (4,), seed=7)
    states: list[TrainingState] = []
    ref = fit(full, data, options, FitHooks(on_checkpoint=states.append))
    assert [s.epoch for s in states] == [r.epoch for r in ref.history]

    saved: dict[str, tuple[bytes, str]] = {}

    def on_checkpoint(state: TrainingState) -> None:
        saved["last"] = _store(state)
        if state.epoch == k:
            raise Interrupted  # the worker dies right after saving epoch k

    first = build_network(LAYERS, (4,), seed=7)
    with pytest.raises(Interrupted):
        fit(first, data, options, FitHooks(on_checkpoint=on_checkpoint))

    fresh = build_network(LAYERS, (4,), seed=7)
    seen = []
    res = fit(
        fresh,
        data,
        options,
        FitHooks(on_epoch_end=lambda r: seen.append(r.epoch)),
        resume=_load(*saved["last"]),
    )
    assert seen == [r.epoch for r in ref.history][k:]
    _same_history(ref.history, res.history)
    assert (res.stopped, res.best_epoch) == (ref.stopped, ref.best_epoch)
    a, b = full.get_weights(), fresh.get_weights()
    assert set(a) == set(b) and "layers.1.running_var" in a
    assert all(np.array_equal(a[n], b[n]) for n in a)


def test_resume_after_early_stop_only_restores_best():
    X, y, _, _ = _data()
    kw = _kwargs(None, {"type": "sgd", "learning_rate": 0.05})
    kw["early_stopping"] = {"patience": 1, "min_delta": 100.0}
    options = FitOptions(**kw)
    states: list[TrainingState] = []
    net = build_network(LAYERS, (4,), seed=1)
    ref = fit(net, FitData(X, y), options, FitHooks(on_checkpoint=states.append))
    assert ref.stopped == "early_stopping" and len(states) == 2
    fresh = build_network(LAYERS, (4,), seed=1)
    res = fit(fresh, FitData(X, y), options, resume=_load(*_store(states[-1])))
    assert res.stopped == "early_stopping" and len(res.history) == 2
    a, b = net.get_weights(), fresh.get_weights()
    assert all(np.array_equal(a[n], b[n]) for n in a)


def test_payload_is_json_and_arrays():
    X, y, _, _ = _data()
    states: list[TrainingState] = []
    fit(
        build_network(LAYERS, (4,), seed=1),
        FitData(X, y),
        FitOptions(**_kwargs({"type": "step"}, {"type": "adam"}) | {"epochs": 1}),
        FitHooks(on_checkpoint=states.append),
    )
    arrays, meta = states[0].to_payload()
    assert all(isinstance(v, np.ndarray) for v in arrays.values())
    expected = {"weights/layers.0.W", "optimizer/m_sum/params", "best/layers.1.running_mean"}
    assert expected <= set(arrays)
    text = json.dumps(meta, allow_nan=False)
    assert json.loads(text)["epoch"] == 1


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("interrupt_at", [4, 13])
def test_mid_epoch_checkpoint_resumes_at_its_batch(task, interrupt_at):
    """checkpoint_seconds=0: a state after every mini-batch; dying after the k-th one and
    resuming mid-epoch gives the uninterrupted weights, history and metrics."""
    X, y, Xv, yv = _data()
    layers = LAYERS if task == "classification" else [*LAYERS[:-1], {"type": "dense", "units": 1}]
    if task == "regression":
        y, yv = X[:, :1] * 2.0 - X[:, 1:2], Xv[:, :1] * 2.0 - Xv[:, 1:2]
    kw = {
        **_kwargs({"type": "cosine"}, {"type": "adam", "learning_rate": 0.02}),
        "loss": "cross_entropy" if task == "classification" else "mse",
        "task": task,
    }
    data, options = FitData(X, y, X_val=Xv, y_val=yv), FitOptions(**kw)
    ref_net = build_network(layers, (4,), seed=7)
    ref = fit(ref_net, data, options)

    states: list[TrainingState] = []

    def on_checkpoint(state: TrainingState) -> None:
        states.append(_load(*_store(state)))
        if len(states) == interrupt_at:
            raise Interrupted

    first = build_network(layers, (4,), seed=7)
    with pytest.raises(Interrupted):
        fit(
            first,
            data,
            FitOptions(**kw, checkpoint_seconds=0.0),
            FitHooks(on_checkpoint=on_checkpoint),
        )
    assert states[-1].batch > 0  # a mid-epoch state
    fresh = build_network(layers, (4,), seed=7)
    res = fit(fresh, data, options, resume=states[-1])
    _same_history(ref.history, res.history)
    a, b = ref_net.get_weights(), fresh.get_weights()
    assert all(np.array_equal(a[n], b[n]) for n in a)


def _stopped_then_resumed(X, y, Xv, yv, stop_at_call: int):
    """Fit stopped by should_stop at its ``stop_at_call``-th call, then resumed from the
    saved state; checks the resumed run equals an uninterrupted one. Returns (result of the
    stopped fit, its last state)."""
    kw = _kwargs(None, {"type": "adam", "learning_rate": 0.02})
    data, options = FitData(X, y, X_val=Xv, y_val=yv), FitOptions(**kw)
    ref_net = build_network(LAYERS, (4,), seed=7)
    ref = fit(ref_net, data, options)
    calls = {"n": 0}

    def should_stop() -> bool:
        calls["n"] += 1
        return calls["n"] >= stop_at_call

    states: list[TrainingState] = []
    out = fit(
        build_network(LAYERS, (4,), seed=7),
        data,
        FitOptions(**kw, checkpoint_seconds=3600.0),
        FitHooks(should_stop=should_stop, on_checkpoint=states.append),
    )
    fresh = build_network(LAYERS, (4,), seed=7)
    res = fit(fresh, data, options, resume=_load(*_store(states[-1])))
    _same_history(ref.history, res.history)
    a, b = ref_net.get_weights(), fresh.get_weights()
    assert all(np.array_equal(a[n], b[n]) for n in a)
    return out, states[-1]


def test_stop_leaves_a_resumable_state():
    out, state = _stopped_then_resumed(*_data(), stop_at_call=11)  # 8 batches per epoch
    assert out.stopped == "cancelled" and (state.epoch, state.batch) == (1, 2)


def test_stop_during_a_long_validation_pass_resumes_there():
    """should_stop is asked between validation chunks (1024 rows each); a stop there saves
    "all batches of the epoch done" and resuming gives the uninterrupted result."""
    X, y, _, _ = _data()
    rng = np.random.default_rng(1)
    yv = rng.integers(0, 3, 2500)
    Xv = np.eye(3)[yv] @ rng.standard_normal((3, 4)) + rng.standard_normal((2500, 4))
    out, state = _stopped_then_resumed(X, y, Xv, yv, stop_at_call=9)  # after 8 batch checks
    assert out.stopped == "cancelled" and not out.history
    assert (state.epoch, state.batch) == (0, 8)  # epoch 1's 8 batches done


@pytest.mark.parametrize("early_stopping", [None, {"patience": 50, "restore_best": True}])
def test_a_stop_mid_epoch_rolls_back_to_a_finished_epoch(early_stopping):
    """keep_epoch_weights: after a mid-epoch stop the network holds the last finished
    epoch's weights (or, with restore_best, the best epoch's), named in restored_epoch; the
    stop's checkpoint still resumes to the uninterrupted result."""
    X, y, Xv, yv = _data()
    kw = {**_kwargs(None, {"type": "adam", "learning_rate": 0.02}), "early_stopping": None}
    kw["early_stopping"] = early_stopping
    snapshots: dict[int, dict[str, np.ndarray]] = {}
    net = build_network(LAYERS, (4,), seed=7)
    calls = {"n": 0}

    def stop_in_epoch_four() -> bool:  # 8 batches per epoch
        calls["n"] += 1
        return calls["n"] > 3 * 8 + 5

    states: list[TrainingState] = []
    out = fit(
        net,
        FitData(X, y, X_val=Xv, y_val=yv),
        FitOptions(**kw, checkpoint_seconds=3600.0, keep_epoch_weights=True),
        FitHooks(
            should_stop=stop_in_epoch_four,
            on_epoch_end=lambda r: snapshots.__setitem__(r.epoch, net.get_weights()),
            on_checkpoint=states.append,
        ),
    )
    assert out.stopped == "cancelled" and [r.epoch for r in out.history] == [1, 2, 3]
    expected = 3 if early_stopping is None else out.best_epoch
    assert out.restored_epoch == expected
    now = net.get_weights()
    assert all(np.array_equal(now[k], v) for k, v in snapshots[expected].items())
    assert (states[-1].epoch, states[-1].batch) == (3, 5)  # mid-epoch state, not rolled back
    assert not all(np.array_equal(states[-1].weights[k], v) for k, v in snapshots[3].items())
