"""Optimizer update math against hand computations, state round trips, spec errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from service.engine import OPTIMIZERS, SpecError, build_optimizer

G1 = np.array([0.5, -1.0])
G2 = np.array([-0.25, 2.0])
P0 = np.array([1.0, 2.0])


def _run(spec: dict, grads: list[np.ndarray], dtype=np.float64) -> np.ndarray:
    opt = build_optimizer(spec)
    p = P0.astype(dtype)
    g = np.zeros_like(p)
    for grad in grads:
        g[...] = grad
        opt.step([("w", p)], [("w", g)])
    return p


def test_registry():
    assert set(OPTIMIZERS) >= {"sgd", "adam"}


def test_sgd_plain():
    p = _run({"type": "sgd", "learning_rate": 0.1}, [G1, G2])
    np.testing.assert_allclose(p, P0 - 0.1 * G1 - 0.1 * G2)


def test_sgd_momentum():
    lr, mu = 0.1, 0.9
    p = _run({"type": "sgd", "learning_rate": lr, "momentum": mu}, [G1, G2])
    v1 = G1
    p1 = P0 - lr * v1
    v2 = mu * v1 + G2
    np.testing.assert_allclose(p, p1 - lr * v2)


def test_sgd_nesterov():
    lr, mu = 0.1, 0.9
    p = _run({"type": "sgd", "learning_rate": lr, "momentum": mu, "nesterov": True}, [G1, G2])
    v1 = G1
    p1 = P0 - lr * (G1 + mu * v1)
    v2 = mu * v1 + G2
    np.testing.assert_allclose(p, p1 - lr * (G2 + mu * v2))


def test_adam_matches_textbook():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    spec = {"type": "adam", "learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps}
    p = _run(spec, [G1, G2])
    m = v = np.zeros(2)
    expect = P0.copy()
    for t, g in enumerate([G1, G2], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1**t)
        vhat = v / (1 - b2**t)
        expect = expect - lr * mhat / (np.sqrt(vhat) + eps)
    np.testing.assert_allclose(p, expect, rtol=1e-12)
    # first Adam step moves each coordinate by ~lr against the gradient sign
    p1 = _run(spec, [G1])
    np.testing.assert_allclose(P0 - p1, lr * np.sign(G1), rtol=1e-6)


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "sgd", "learning_rate": 0.1},
        {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
        {"type": "adam", "learning_rate": 0.01},
    ],
)
def test_float32_stays_float32(spec):
    p = _run(spec, [G1, G2], dtype=np.float32)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, _run(spec, [G1, G2]), rtol=1e-5)


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "sgd", "learning_rate": 0.1, "momentum": 0.5},
        {"type": "adam", "learning_rate": 0.01},
    ],
)
def test_state_dict_round_trip(spec):
    a = build_optimizer(spec)
    pa = P0.copy()
    a.step([("w", pa)], [("w", G1.copy())])
    state = a.state_dict()
    assert state["step"] == 1
    assert all(isinstance(v, int | float | np.ndarray) for v in state.values())

    b = build_optimizer(spec)
    b.load_state_dict(state)
    pb = pa.copy()
    # state is a copy: mutating the snapshot must not affect either optimizer
    for v in state.values():
        if isinstance(v, np.ndarray):
            v[...] = 123.0
    a.step([("w", pa)], [("w", G2.copy())])
    b.step([("w", pb)], [("w", G2.copy())])
    np.testing.assert_array_equal(pa, pb)
    assert b.state_dict()["step"] == 2


def test_adam_loads_a_state_holding_the_moments_themselves():
    """A state saved with the moments themselves (slots m, v; before m_sum, v_sum) loads."""
    spec = {"type": "adam", "learning_rate": 0.01}
    b1, b2 = 0.9, 0.999
    p = _run(spec, [G1])
    opt = build_optimizer(spec)
    opt.load_state_dict({"step": 1, "m/w": (1 - b1) * G1, "v/w": (1 - b2) * G1 * G1})
    opt.step([("w", p)], [("w", G2.copy())])
    np.testing.assert_allclose(p, _run(spec, [G1, G2]), rtol=1e-12)
    assert set(opt.state_dict()) == {"step", "learning_rate", "m_sum/w", "v_sum/w"}


def test_load_state_dict_rejects_unknown_slots():
    opt = build_optimizer({"type": "adam"})
    with pytest.raises(ValueError):
        opt.load_state_dict({"step": 1, "bogus/w": np.zeros(2)})


def test_mismatched_names_rejected():
    opt = build_optimizer({"type": "sgd"})
    with pytest.raises(ValueError):
        opt.step([("a", P0.copy())], [("b", G1.copy())])


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "lbfgs"},
        {"learning_rate": 0.1},
        "sgd",
        {"type": "sgd", "learning_rate": 0},
        {"type": "sgd", "learning_rate": -1},
        {"type": "sgd", "learning_rate": "fast"},
        {"type": "sgd", "momentum": 1.0},
        {"type": "sgd", "nesterov": True},
        {"type": "sgd", "nesterov": "yes", "momentum": 0.9},
        {"type": "sgd", "lr": 0.1},
        {"type": "adam", "beta1": 1.0},
        {"type": "adam", "beta2": -0.1},
        {"type": "adam", "epsilon": 0},
        {"type": "adam", "learning_rate": math.nan},
    ],
)
def test_bad_specs(spec):
    with pytest.raises(SpecError) as info:
        build_optimizer(spec)
    assert info.value.layer_index is None
    assert str(info.value)
