"""Finite-difference gradient checks (float64) for the convolutional, pooling,
normalisation, embedding and recurrent layers, through input and every parameter."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine import ACTIVATIONS, LAYER_TYPES

F64 = np.float64


def _check_layer(spec, input_shape, gradcheck, rng, *, x=None, training=True, check_x=True):
    layer = LAYER_TYPES[spec["type"]].from_spec(spec)
    out_shape = layer.build(input_shape, np.random.default_rng(0), F64)
    if x is None:
        x = rng.standard_normal((3, *input_shape))
    r = rng.standard_normal((3, *out_shape))
    for p in layer.params.values():  # non-trivial biases / scales
        p += 0.1 * rng.standard_normal(p.shape)
    state = {k: v.copy() for k, v in layer.state.items()}

    def loss() -> float:
        for k, v in state.items():  # running stats must not drift between evaluations
            layer.state[k][...] = v
        return float(np.sum(layer.forward(x, training=training) * r))

    out = layer.forward(x, training=training)
    assert out.shape == (3, *out_shape) and out.dtype == F64
    dx = layer.backward(r)
    grads = {k: g.copy() for k, g in layer.grads.items()}
    if check_x:
        gradcheck.assert_close(loss, x, dx, tol=1e-6)
    for k, p in layer.params.items():
        gradcheck.assert_close(loss, p, grads[k], tol=1e-6)
    return layer


@pytest.mark.parametrize(
    "spec,shape",
    [
        ({"type": "conv2d", "filters": 3, "kernel_size": 3}, (5, 5, 2)),
        ({"type": "conv2d", "filters": 2, "kernel_size": [2, 3], "padding": "same"}, (4, 5, 2)),
        (
            {"type": "conv2d", "filters": 2, "kernel_size": 3, "stride": 2, "padding": "same"},
            (5, 6, 1),
        ),
        ({"type": "conv2d", "filters": 2, "kernel_size": 2, "stride": [2, 1]}, (5, 4, 3)),
        (
            {"type": "conv2d", "filters": 2, "kernel_size": 3, "activation": "gelu"},
            (4, 4, 2),
        ),
        ({"type": "conv2d", "filters": 2, "kernel_size": 1, "use_bias": False}, (3, 3, 2)),
    ],
)
def test_conv2d(spec, shape, gradcheck, rng):
    _check_layer(spec, shape, gradcheck, rng)


@pytest.mark.parametrize("kind", ["maxpool2d", "avgpool2d"])
@pytest.mark.parametrize(
    "extra,shape",
    [
        ({"pool_size": 2}, (4, 6, 2)),
        ({"pool_size": 3, "stride": 2}, (7, 5, 2)),
        ({"pool_size": [2, 3], "stride": 1}, (4, 5, 1)),
        ({"pool_size": 2}, (5, 5, 2)),
    ],
)
def test_pooling(kind, extra, shape, gradcheck, rng):
    _check_layer({"type": kind, **extra}, shape, gradcheck, rng)


@pytest.mark.parametrize("shape", [(4,), (3, 3, 2), (5, 3)])
def test_batchnorm_training(shape, gradcheck, rng):
    _check_layer({"type": "batchnorm"}, shape, gradcheck, rng)


def test_batchnorm_inference(gradcheck, rng):
    layer = _check_layer({"type": "batchnorm"}, (4,), gradcheck, rng, training=False)
    layer.state["running_mean"][...] = [0.5, -1, 0, 2]
    layer.state["running_var"][...] = [1, 4, 0.25, 9]
    x = rng.standard_normal((5, 4))
    expected = (x - layer.state["running_mean"]) / np.sqrt(layer.state["running_var"] + 1e-5)
    expected = expected * layer.params["gamma"] + layer.params["beta"]
    np.testing.assert_allclose(layer.forward(x), expected)


def test_embedding(gradcheck, rng):
    x = rng.integers(0, 7, (3, 5)).astype(F64)
    x[0, :3] = 2  # repeated ids accumulate
    _check_layer(
        {"type": "embedding", "input_dim": 7, "output_dim": 4},
        (5,),
        gradcheck,
        rng,
        x=x,
        check_x=False,
    )


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_recurrent(kind, return_sequences, gradcheck, rng):
    spec = {"type": kind, "units": 4, "return_sequences": return_sequences}
    _check_layer(spec, (5, 3), gradcheck, rng)


@pytest.mark.parametrize("tanh_gates", [True, False])
def test_lstm_gate_forms(tanh_gates, gradcheck, rng, monkeypatch):
    """Both ways the LSTM computes its gates (the machine's NumPy picks one by default)."""
    monkeypatch.setattr(LAYER_TYPES["lstm"], "tanh_gates", tanh_gates)
    _check_layer({"type": "lstm", "units": 4, "return_sequences": True}, (5, 3), gradcheck, rng)


@pytest.mark.parametrize(
    "activation", ["relu", "leaky_relu", "gelu", "elu", "softplus", "sigmoid", "linear"]
)
def test_simple_rnn_activations(activation, gradcheck, rng):
    spec = {"type": "simple_rnn", "units": 3, "activation": activation, "return_sequences": True}
    _check_layer(spec, (4, 2), gradcheck, rng)


@pytest.mark.parametrize("shape", [(4,), (1, 1, 3)])
def test_batchnorm_single_value_per_channel(shape, gradcheck, rng):
    """Training on one value per channel uses (and keeps) the running statistics, like
    inference, so the output is not just beta and the input gradient is not zero."""
    layer = LAYER_TYPES["batchnorm"].from_spec({"type": "batchnorm"})
    layer.build(shape, np.random.default_rng(0), F64)
    layer.state["running_mean"][...] = rng.standard_normal(shape[-1])
    layer.state["running_var"][...] = rng.uniform(0.5, 2.0, shape[-1])
    layer.params["gamma"] += 0.1 * rng.standard_normal(shape[-1])
    state = {k: v.copy() for k, v in layer.state.items()}
    x = rng.standard_normal((1, *shape))
    r = rng.standard_normal((1, *shape))
    out = layer.forward(x, training=True)
    np.testing.assert_array_equal(out, layer.infer(x))
    assert not np.allclose(out, layer.params["beta"])
    for k, v in state.items():
        np.testing.assert_array_equal(layer.state[k], v)
    dx = layer.backward(r)
    grads = {k: g.copy() for k, g in layer.grads.items()}
    assert np.abs(dx).min() > 0

    def loss() -> float:
        return float(np.sum(layer.forward(x, training=True) * r))

    gradcheck.assert_close(loss, x, dx, tol=1e-6)
    for k, p in layer.params.items():
        gradcheck.assert_close(loss, p, grads[k], tol=1e-6)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_activation_layer(activation, gradcheck, rng):
    """The standalone layer (gelu keeps its input for backward) over a 3-D input."""
    _check_layer({"type": "activation", "activation": activation}, (2, 5), gradcheck, rng)


@pytest.mark.parametrize("dtype", [np.float32, F64])
def test_column_sums_match_numpy_sums(dtype, rng):
    """Bias gradients are row sums taken as one product with ones: any rows, strided
    input, and a gradient of another dtype than the parameter (cast, as np.sum's out=)."""
    layer = LAYER_TYPES["dense"].from_spec({"type": "dense", "units": 3})
    layer.build((4,), np.random.default_rng(0), np.float32)
    out = np.empty(3, np.float32)
    for g in (rng.standard_normal((7, 3)), rng.standard_normal((9, 3))[::2]):
        g = g.astype(dtype)
        np.testing.assert_allclose(layer.column_sums(g, out), np.sum(g, axis=0), rtol=1e-6)
