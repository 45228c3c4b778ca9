"""Network construction, spec validation, weights I/O, summary and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine import LAYER_TYPES, SpecError, build_network

MLP = [
    {"type": "dense", "units": 8, "activation": "relu"},
    {"type": "dropout", "rate": 0.1},
    {"type": "dense", "units": 3, "activation": "softmax"},
]


def test_registry_names():
    assert {"dense", "dropout", "activation"} <= set(LAYER_TYPES)


def test_build_summary_and_shapes():
    net = build_network(MLP, (4,), seed=0)
    assert net.input_shape == (4,)
    assert net.output_shape == (3,)
    assert net.dtype == np.float32
    assert net.summary() == [
        {"index": 0, "type": "dense", "output_shape": [8], "params": 40},
        {"index": 1, "type": "dropout", "output_shape": [8], "params": 0},
        {"index": 2, "type": "dense", "output_shape": [3], "params": 27},
    ]
    assert net.num_params == 67
    assert [n for n, _ in net.parameters()] == [
        "layers.0.W",
        "layers.0.b",
        "layers.2.W",
        "layers.2.b",
    ]
    assert [n for n, _ in net.gradients()] == [n for n, _ in net.parameters()]
    assert net.spec()[0] == {
        "type": "dense",
        "units": 8,
        "activation": "relu",
        "initializer": "he",
        "use_bias": True,
    }


def test_forward_outputs_probabilities_and_predict_batches(rng):
    net = build_network(MLP, (4,), seed=0)
    x = rng.standard_normal((10, 4))
    out = net.forward(x)
    assert out.shape == (10, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(net.predict(x, batch_size=3), out, rtol=1e-6)
    with pytest.raises(ValueError):
        net.forward(rng.standard_normal((2, 5)))


def test_float32_end_to_end(rng):
    net = build_network(MLP, (4,), seed=0)
    out = net.forward(rng.standard_normal((6, 4)), training=True)
    dx = net.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for _, g in net.gradients())
    assert all(p.dtype == np.float32 for _, p in net.parameters())


def test_seeded_initialization():
    a = build_network(MLP, (4,), seed=5).get_weights()
    b = build_network(MLP, (4,), seed=5).get_weights()
    c = build_network(MLP, (4,), seed=6).get_weights()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["layers.0.W"], c["layers.0.W"])
    assert not a["layers.0.b"].any()


def test_initializer_scales():
    net = build_network(
        [
            {"type": "dense", "units": 400, "activation": "relu"},
            {"type": "dense", "units": 300, "activation": "tanh"},
        ],
        (500,),
        dtype=np.float64,
    )
    he, glorot = net.layers[0].params["W"], net.layers[1].params["W"]
    assert abs(he.std() - np.sqrt(2 / 500)) < 0.01 * np.sqrt(2 / 500) * 5
    limit = np.sqrt(6 / 700)
    assert np.abs(glorot).max() <= limit
    assert abs(glorot.std() - limit / np.sqrt(3)) < 0.02 * limit


def test_get_set_weights_round_trip():
    a = build_network(MLP, (4,), seed=1)
    b = build_network(MLP, (4,), seed=2)
    w_b_before = b.parameters()[0][1]
    b.set_weights(a.get_weights())
    assert b.parameters()[0][1] is w_b_before  # copied in place
    for k, v in a.get_weights().items():
        np.testing.assert_array_equal(v, b.get_weights()[k])
    w = a.get_weights()
    w["layers.0.W"][...] = 0  # get_weights returns copies
    assert a.get_weights()["layers.0.W"].any()


def test_set_weights_validates():
    net = build_network(MLP, (4,))
    w = net.get_weights()
    bad = dict(w, **{"layers.0.W": np.zeros((3, 8))})
    with pytest.raises(ValueError, match="shape"):
        net.set_weights(bad)
    with pytest.raises(ValueError, match="missing"):
        net.set_weights({k: v for k, v in w.items() if k != "layers.0.b"})
    assert net.get_weights()["layers.0.W"].any()  # unchanged after a failed set


def test_float64_network(rng):
    net = build_network(MLP, (4,), dtype=np.float64)
    assert net.forward(rng.standard_normal((2, 4))).dtype == np.float64


def test_flatten_and_multidim_input(rng):
    net = build_network([{"type": "flatten"}, {"type": "dense", "units": 2}], (3, 4), seed=0)
    assert net.summary()[0]["output_shape"] == [12]
    assert net.forward(rng.standard_normal((5, 3, 4))).shape == (5, 2)


@pytest.mark.parametrize(
    "layers,index,fragment",
    [
        ([{"type": "dense", "units": 3}, {"type": "dense", "units": 0}], 1, "layer 1 (dense)"),
        ([{"type": "dense", "units": True}], 0, "units must be a positive integer"),
        ([{"type": "dense", "units": 2.5}], 0, "units"),
        ([{"type": "dense"}], 0, "units"),
        ([{"type": "dense", "units": 2, "activation": "swish"}], 0, "activation"),
        ([{"type": "dense", "units": 2, "initializer": "orthogonal"}], 0, "initializer"),
        ([{"type": "dense", "units": 2, "use_bias": 1}], 0, "use_bias"),
        ([{"type": "dense", "units": 2, "unit": 3}], 0, "unknown key"),
        ([{"type": "dense", "units": 2}, {"type": "dropout", "rate": 1.0}], 1, "layer 1 (dropout)"),
        ([{"type": "dense", "units": 2}, {"type": "dropout"}], 1, "rate"),
        ([{"type": "dense", "units": 2}, {"type": "dropout", "rate": -0.1}], 1, "rate"),
        ([{"type": "activation"}], 0, "layer 0 (activation): activation is required"),
        ([{"type": "dense", "units": 2}, {"type": "conv9d"}], 1, "unknown layer type"),
        ([{"units": 2}], 0, "unknown layer type"),
        ([{"type": "dense", "units": 2}, "dense"], 1, "layer 1"),
    ],
)
def test_spec_errors_name_the_layer(layers, index, fragment):
    with pytest.raises(SpecError) as info:
        build_network(layers, (4,))
    assert info.value.layer_index == index
    assert f"layer {index}" in str(info.value)
    assert fragment in str(info.value)


def test_exact_spec_error_message():
    with pytest.raises(SpecError) as info:
        build_network([{"type": "dropout", "rate": 0.1}, {"type": "dense", "units": -1}], (4,))
    assert str(info.value) == "layer 1 (dense): units must be a positive integer"


@pytest.mark.parametrize("shape", [(), (0,), (2, -1), ("4",), None, (True,)])
def test_bad_input_shape(shape):
    with pytest.raises(SpecError) as info:
        build_network(MLP, shape)
    assert info.value.layer_index is None


@pytest.mark.parametrize("layers", [[], "dense", None])
def test_bad_layer_list(layers):
    with pytest.raises(SpecError):
        build_network(layers, (4,))


def test_spec_error_is_value_error():
    assert issubclass(SpecError, ValueError)


def test_parameters_are_views_of_flat_buffers(rng):
    net = build_network(MLP, (4,), seed=0)
    assert net.flat_params.size == net.num_params == net.flat_grads.size
    net.flat_params[:] = 0.5
    assert all((p == 0.5).all() for _, p in net.parameters())
    net.set_weights({k: np.ones_like(v) for k, v in net.get_weights().items()})
    assert (net.flat_params == 1).all()
    out = net.forward(rng.standard_normal((3, 4)), training=True)
    net.backward(np.ones_like(out))
    total = sum(float(g.sum()) for _, g in net.gradients())
    assert np.isclose(float(net.flat_grads.sum()), total, rtol=1e-5)
