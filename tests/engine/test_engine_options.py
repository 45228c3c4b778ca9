"""Huber loss, L1/L2 penalties and global-norm clipping (gradient-checked in float64),
the new optimizers against PyTorch and textbook math, and learning-rate schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from service.engine import Schedule, SpecError, build_network, build_optimizer, get_loss
from service.engine.regularization import add_penalty_grad, clip_by_global_norm, penalty

F64 = np.float64


@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
def test_huber_gradient_and_value(delta, gradcheck, rng):
    loss = get_loss({"type": "huber", "delta": delta})
    p = rng.standard_normal((6, 2)) * 2
    y = rng.standard_normal((6, 2))
    gradcheck.assert_close(lambda: loss.value(p, y), p, loss.grad(p, y))
    d = np.abs(p - y)
    expect = np.where(d <= delta, 0.5 * d**2, delta * (d - 0.5 * delta)).mean()
    assert loss.value(p, y) == pytest.approx(expect)
    assert get_loss("huber").delta == 1.0


@pytest.mark.parametrize("spec", [{"type": "huber", "delta": 0}, {"type": "mse", "delta": 1}])
def test_bad_loss_specs(spec):
    with pytest.raises(SpecError):
        get_loss(spec)


NET = [
    {"type": "conv2d", "filters": 2, "kernel_size": 2, "activation": "tanh"},
    {"type": "batchnorm"},
    {"type": "flatten"},
    {"type": "dense", "units": 3, "activation": "softmax"},
]


def _flat_net_check(gradcheck, rng, l1: float, l2: float, clip: float | None):
    net = build_network(NET, (3, 3, 1), seed=0, dtype=F64)
    net.flat_params[:] += 0.1 * rng.standard_normal(net.flat_params.size)
    x = rng.standard_normal((4, 3, 3, 1))
    y = rng.integers(0, 3, 4)
    ce = get_loss("cross_entropy")
    k = net.decay_size

    def total() -> float:
        out = net.forward(x, training=True)
        return ce.value(out, y) + penalty(net.flat_params[:k], l1, l2)

    out = net.forward(x, training=True)
    net.backward(ce.fused_grad(out, y), skip_output_activation=True)
    add_penalty_grad(net.flat_params[:k], net.flat_grads[:k], l1, l2)
    numeric = gradcheck.numeric_grad(total, net.flat_params)
    if clip is not None:
        norm = clip_by_global_norm(net.flat_grads, clip)
        assert norm == pytest.approx(np.linalg.norm(numeric), rel=1e-6)
        numeric *= min(1.0, clip / np.linalg.norm(numeric))
        assert np.linalg.norm(net.flat_grads) <= clip * (1 + 1e-9)
    assert gradcheck.rel_error(net.flat_grads, numeric) < 1e-6
    return net


@pytest.mark.parametrize(
    "l1,l2,clip", [(0.0, 0.05, None), (0.02, 0.0, None), (0.01, 0.03, 0.05), (0, 0, 1e3)]
)
def test_penalties_and_clipping_gradients(l1, l2, clip, gradcheck, rng):
    _flat_net_check(gradcheck, rng, l1, l2, clip)


def test_decay_applies_to_weights_only():
    net = build_network(NET, (3, 3, 1), seed=0)
    decayed = net.flat_params[: net.decay_size]
    names = {n for n, p in net.parameters() if np.shares_memory(p, decayed)}
    assert names == {"layers.0.W", "layers.3.W"}
    rnn = build_network([{"type": "gru", "units": 2}, {"type": "dense", "units": 1}], (3, 2))
    decayed = rnn.flat_params[: rnn.decay_size]
    names = {n for n, p in rnn.parameters() if np.shares_memory(p, decayed)}
    assert names == {"layers.0.W", "layers.0.U", "layers.1.W"}


torch_specs = [
    (
        {"type": "rmsprop", "learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-6},
        "RMSprop",
        {"lr": 0.01, "alpha": 0.8, "eps": 1e-6},
    ),
    (
        {"type": "adagrad", "learning_rate": 0.1, "epsilon": 1e-10},
        "Adagrad",
        {"lr": 0.1, "eps": 1e-10},
    ),
    (
        {"type": "adamw", "learning_rate": 0.01, "weight_decay": 0.1},
        "AdamW",
        {"lr": 0.01, "weight_decay": 0.1},
    ),
    ({"type": "adam", "learning_rate": 0.01}, "Adam", {"lr": 0.01}),
]


@pytest.mark.parametrize("spec,torch_name,torch_kwargs", torch_specs)
def test_optimizers_match_torch(spec, torch_name, torch_kwargs, rng):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (CI installs it)")
    p0 = rng.standard_normal(6)
    grads = [rng.standard_normal(6) for _ in range(5)]
    opt = build_optimizer(spec)
    p = p0.copy()
    for g in grads:
        opt.step([("w", p)], [("w", g.copy())])
    pt = torch.tensor(p0, requires_grad=True)
    topt = getattr(torch.optim, torch_name)([pt], **torch_kwargs)
    for g in grads:
        pt.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(p, pt.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_adamw_decays_only_the_leading_weights():
    opt = build_optimizer({"type": "adamw", "learning_rate": 0.1, "weight_decay": 0.5})
    opt.decay_limits = {"w": 2}
    p = np.array([1.0, 1.0, 1.0, 1.0])
    opt.step([("w", p)], [("w", np.zeros(4))])
    np.testing.assert_allclose(p, [0.95, 0.95, 1.0, 1.0])


def _lrs(spec, epochs=10, base=1.0, monitored=None):
    s = Schedule(spec, base, epochs)
    out = []
    for e in range(1, epochs + 1):
        out.append(s.lr_for(e))
        s.end_epoch(e, monitored[e - 1] if monitored else 0.0)
    return out


def test_schedules():
    assert _lrs({"type": "step", "step_size": 3, "gamma": 0.5}, 7) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    np.testing.assert_allclose(_lrs({"type": "exponential", "gamma": 0.9}, 3), [1, 0.9, 0.81])
    cos = _lrs({"type": "cosine", "warmup_epochs": 2, "min_lr": 0.1}, 10)
    np.testing.assert_allclose(cos[:3], [1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(cos[3], 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 8)))
    assert all(a > b for a, b in zip(cos[2:], cos[3:], strict=False)) and cos[-1] > 0.1
    assert _lrs({"type": "warmup", "warmup_epochs": 3}, 5) == [0.25, 0.5, 0.75, 1, 1]
    plateau = {"type": "reduce_on_plateau", "factor": 0.5, "patience": 2, "min_lr": 0.2}
    losses = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3]
    assert _lrs(plateau, 10, monitored=losses) == [1, 1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "linear"},
        {"type": "step", "gamma": 0},
        {"type": "step", "step_size": 0},
        {"type": "cosine", "warmup_epochs": -1},
        {"type": "cosine", "warmup_epochs": 1.5},
        {"type": "exponential", "step_size": 2},
        {"type": "reduce_on_plateau", "factor": 1.0},
    ],
)
def test_bad_schedules(spec):
    with pytest.raises(SpecError) as info:
        Schedule(spec, 0.1, 10)
    assert "lr_schedule" in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"gradient_clip_norm": 0},
        {"gradient_clip_norm": -1.0},
        {"gradient_clip_norm": math.inf},
        {"regularization": {"l2": -0.1}},
        {"regularization": {"l3": 0.1}},
        {"lr_schedule": {"type": "cosine", "gamma": 0.5}},
        {"loss": {"type": "huber", "delta": -1}},
    ],
)
def test_bad_fit_options(kwargs):
    from service.engine import FitData, FitOptions, fit

    net = build_network([{"type": "dense", "units": 1}], (2,), seed=0)
    args = {"loss": "mse", "optimizer": {"type": "sgd"}, "epochs": 1, "batch_size": 2}
    with pytest.raises(SpecError):
        fit(
            net,
            FitData(np.zeros((3, 2)), np.zeros(3)),
            FitOptions(task="regression", **(args | kwargs)),
        )


def test_schedule_uses_the_configured_rate_across_fit_calls():
    from service.engine import FitData, FitOptions, fit

    net = build_network([{"type": "dense", "units": 1}], (2,), seed=0)
    opt = build_optimizer({"type": "sgd", "learning_rate": 0.1})
    kw = {
        "loss": "mse",
        "batch_size": 4,
        "task": "regression",
        "optimizer": opt,
        "lr_schedule": {"type": "exponential", "gamma": 0.5},
    }
    X, y = np.ones((4, 2)), np.ones(4)
    fit(net, FitData(X, y), FitOptions(epochs=2, **kw))
    assert opt.learning_rate == pytest.approx(0.05)
    fit(net, FitData(X, y), FitOptions(epochs=3, start_epoch=2, **kw))
    assert opt.learning_rate == pytest.approx(0.025)
