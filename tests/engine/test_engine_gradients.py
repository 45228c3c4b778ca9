"""Finite-difference gradient checks (float64) for activations, layers, losses, networks."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine import ACTIVATIONS, build_network, get_loss
from service.engine.activations import sigmoid, softmax
from service.engine.layers import Dense, Dropout

F64 = np.float64


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_backward(name, gradcheck, rng):
    act = ACTIVATIONS[name]
    z = rng.standard_normal((4, 5))
    r = rng.standard_normal((4, 5))

    def loss() -> float:
        return float(np.sum(act.forward(z) * r))

    a = act.forward(z.copy())
    gradcheck.assert_close(loss, z, act.backward(r, a, z.copy()))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_inplace_matches(name, rng):
    act = ACTIVATIONS[name]
    z = rng.standard_normal((3, 4)).astype(np.float32)
    expected = act.forward(z.copy())
    out = act.forward(z, out=z)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)


def test_softmax_and_sigmoid_are_stable():
    z = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = softmax(z)
        s = sigmoid(z)
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(s, [[1.0, 0.5, 0.0]])
    np.testing.assert_allclose(softmax(np.ones((2, 4))).sum(-1), 1.0)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_gradients(activation, use_bias, gradcheck, rng):
    layer = Dense(3, activation=activation, use_bias=use_bias)
    layer.build((4,), rng, F64)
    x = rng.standard_normal((5, 4))
    r = rng.standard_normal((5, 3))

    def loss() -> float:
        return float(np.sum(layer.forward(x) * r))

    layer.forward(x)
    dx = layer.backward(r)
    gradcheck.assert_close(loss, x, dx)
    for key, p in layer.params.items():
        gradcheck.assert_close(loss, p, layer.grads[key].copy())


def test_dense_over_last_axis_of_3d_input(gradcheck, rng):
    layer = Dense(2, activation="tanh")
    assert layer.build((3, 4), rng, F64) == (3, 2)
    x = rng.standard_normal((2, 3, 4))
    r = rng.standard_normal((2, 3, 2))

    def loss() -> float:
        return float(np.sum(layer.forward(x) * r))

    layer.forward(x)
    dx = layer.backward(r)
    gradcheck.assert_close(loss, x, dx)
    gradcheck.assert_close(loss, layer.params["W"], layer.grads["W"].copy())


def test_dropout_gradient_with_fixed_mask(gradcheck, rng):
    layer = Dropout(0.4)
    layer.build((6,), np.random.default_rng(0), F64)
    x = rng.standard_normal((5, 6))
    r = rng.standard_normal((5, 6))

    def forward() -> np.ndarray:
        layer.rng = np.random.default_rng(7)  # same mask every call
        return layer.forward(x, training=True)

    def loss() -> float:
        return float(np.sum(forward() * r))

    out = forward()
    dx = layer.backward(r)
    gradcheck.assert_close(loss, x, dx)
    # inverted dropout: kept entries scaled by 1/(1-rate), dropped ones zero
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.6)
    assert 0 < kept.mean() < 1
    np.testing.assert_array_equal(layer.forward(x, training=False), x)


def _targets(name: str, rng: np.random.Generator, shape: tuple[int, int], onehot: bool):
    n, c = shape
    if name == "cross_entropy":
        idx = rng.integers(0, c, n)
        return np.eye(c)[idx] if onehot else idx
    if name == "binary_cross_entropy":
        return rng.integers(0, 2, shape).astype(F64)
    return rng.standard_normal(shape)


@pytest.mark.parametrize(
    "name,onehot",
    [
        ("mse", False),
        ("mae", False),
        ("binary_cross_entropy", False),
        ("cross_entropy", False),
        ("cross_entropy", True),
    ],
)
def test_loss_unfused_gradients(name, onehot, gradcheck, rng):
    loss = get_loss(name)
    shape = (6, 3)
    if name == "cross_entropy":
        p = softmax(rng.standard_normal(shape))
    elif name == "binary_cross_entropy":
        p = rng.uniform(0.1, 0.9, shape)
    else:
        p = rng.standard_normal(shape)
    y = _targets(name, rng, shape, onehot)
    gradcheck.assert_close(lambda: loss.value(p, y), p, loss.grad(p, y))


@pytest.mark.parametrize(
    "name,act,onehot",
    [
        ("cross_entropy", softmax, False),
        ("cross_entropy", softmax, True),
        ("binary_cross_entropy", sigmoid, False),
    ],
)
def test_loss_fused_gradients(name, act, onehot, gradcheck, rng):
    loss = get_loss(name)
    shape = (6, 3) if name == "cross_entropy" else (6, 1)
    z = rng.standard_normal(shape) * 2
    y = _targets(name, rng, shape, onehot)
    analytic = loss.fused_grad(act(z), y)
    gradcheck.assert_close(lambda: loss.value(act(z), y), z, analytic)


def test_fused_matches_unfused_chain(rng):
    z = rng.standard_normal((5, 4))
    y = rng.integers(0, 4, 5)
    ce = get_loss("cross_entropy")
    p = softmax(z)
    chained = ACTIVATIONS["softmax"].backward(ce.grad(p, y), p)
    np.testing.assert_allclose(ce.fused_grad(p, y), chained, rtol=1e-10, atol=1e-12)


def _network_loss_check(layers, input_shape, loss_name, y, gradcheck, rng, fused):
    net = build_network(layers, input_shape, seed=3, dtype=F64)
    loss = get_loss(loss_name)
    x = rng.standard_normal((4, *input_shape))

    def forward() -> np.ndarray:
        for layer in net.layers:
            if isinstance(layer, Dropout):
                layer.rng = np.random.default_rng(11)
        return net.forward(x, training=True)

    def value() -> float:
        return loss.value(forward(), y)

    out = forward()
    assert (loss.fuses_with == net.output_activation) is fused
    g = loss.fused_grad(out, y) if fused else loss.grad(out, y)
    dx = net.backward(g, skip_output_activation=fused)
    grads = {k: v.copy() for k, v in net.gradients()}
    gradcheck.assert_close(value, x, dx)
    for name, p in net.parameters():
        gradcheck.assert_close(value, p, grads[name])


def test_network_end_to_end_softmax_ce(gradcheck, rng):
    layers = [
        {"type": "dense", "units": 5, "activation": "tanh"},
        {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 4, "activation": "leaky_relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
    y = rng.integers(0, 3, 4)
    _network_loss_check(layers, (3,), "cross_entropy", y, gradcheck, rng, fused=True)


def test_network_end_to_end_activation_layer_sigmoid_bce(gradcheck, rng):
    layers = [
        {"type": "flatten"},
        {"type": "dense", "units": 5, "activation": "relu"},
        {"type": "dense", "units": 1},
        {"type": "activation", "activation": "sigmoid"},
    ]
    y = rng.integers(0, 2, (4, 1)).astype(F64)
    _network_loss_check(layers, (2, 3), "binary_cross_entropy", y, gradcheck, rng, fused=True)


def test_network_end_to_end_unfused_mse(gradcheck, rng):
    layers = [
        {"type": "dense", "units": 6, "activation": "sigmoid"},
        {"type": "activation", "activation": "tanh"},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
    y = rng.standard_normal((4, 2))
    _network_loss_check(layers, (3,), "mse", y, gradcheck, rng, fused=False)


@pytest.mark.parametrize("name", ["mse", "mae", "binary_cross_entropy", "cross_entropy"])
def test_loss_grads_keep_float32(name, rng):
    loss = get_loss(name)
    p = softmax(rng.standard_normal((4, 3))).astype(np.float32)
    y = loss.prepare_targets(
        rng.integers(0, 3, 4) if name == "cross_entropy" else rng.integers(0, 2, (4, 3)),
        (3,),
        np.float32,
    )
    assert loss.grad(p, y).dtype == np.float32
    if loss.fuses_with:
        assert loss.fused_grad(p, y).dtype == np.float32
    assert isinstance(loss.value(p, y), float)
