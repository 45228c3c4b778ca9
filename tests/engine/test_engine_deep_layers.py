"""Shapes, summaries, spec errors and weights of the conv / pooling / batchnorm /
embedding / recurrent layers, plus small learning runs (digits images, sequences)."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine import FitData, FitOptions, SpecError, build_network, fit
from service.engine.metrics import accuracy

CNN = [
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "batchnorm"},
    {"type": "maxpool2d", "pool_size": 2},
    {"type": "conv2d", "filters": 4, "kernel_size": [3, 2], "stride": 2},
    {"type": "avgpool2d", "pool_size": 1},
    {"type": "flatten"},
    {"type": "dropout", "rate": 0.1},
    {"type": "dense", "units": 10, "activation": "softmax"},
]


def test_cnn_summary():
    net = build_network(CNN, (12, 10, 1), seed=0)
    assert net.summary() == [
        {"index": 0, "type": "conv2d", "output_shape": [12, 10, 8], "params": 80},
        {"index": 1, "type": "batchnorm", "output_shape": [12, 10, 8], "params": 16},
        {"index": 2, "type": "maxpool2d", "output_shape": [6, 5, 8], "params": 0},
        {"index": 3, "type": "conv2d", "output_shape": [2, 2, 4], "params": 196},
        {"index": 4, "type": "avgpool2d", "output_shape": [2, 2, 4], "params": 0},
        {"index": 5, "type": "flatten", "output_shape": [16], "params": 0},
        {"index": 6, "type": "dropout", "output_shape": [16], "params": 0},
        {"index": 7, "type": "dense", "output_shape": [10], "params": 170},
    ]
    assert net.num_params == 80 + 16 + 196 + 170
    assert net.forward(np.zeros((2, 12, 10, 1))).shape == (2, 10)


def test_rnn_summaries():
    layers = [
        {"type": "embedding", "input_dim": 50, "output_dim": 8},
        {"type": "lstm", "units": 6, "return_sequences": True},
        {"type": "gru", "units": 5, "return_sequences": True},
        {"type": "simple_rnn", "units": 4},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
    net = build_network(layers, (7,), seed=0)
    assert [(s["type"], s["output_shape"], s["params"]) for s in net.summary()] == [
        ("embedding", [7, 8], 400),
        ("lstm", [7, 6], 4 * 6 * (8 + 6 + 1)),
        ("gru", [7, 5], 3 * 5 * (6 + 5 + 2)),
        ("simple_rnn", [4], 4 * (5 + 4 + 1)),
        ("dense", [2], 10),
    ]
    ids = np.random.default_rng(0).integers(0, 50, (3, 7))
    assert net.forward(ids).shape == (3, 2)


@pytest.mark.parametrize(
    "layers,shape,message",
    [
        (
            [
                {"type": "dense", "units": 64},
                {"type": "dropout", "rate": 0.1},
                {"type": "lstm", "units": 4},
            ],
            (5,),
            "layer 2 (lstm): expects input (timesteps, features), got (64,)",
        ),
        (
            [{"type": "gru", "units": 4}],
            (8, 8, 1),
            "layer 0 (gru): expects input (timesteps, features), got (8, 8, 1)",
        ),
        (
            [{"type": "conv2d", "filters": 2, "kernel_size": 3}],
            (64,),
            "layer 0 (conv2d): expects input (height, width, channels), got (64,)",
        ),
        (
            [{"type": "flatten"}, {"type": "maxpool2d"}],
            (4, 4, 1),
            "layer 1 (maxpool2d): expects input (height, width, channels), got (16,)",
        ),
        (
            [{"type": "conv2d", "filters": 2, "kernel_size": 5}],
            (3, 8, 1),
            "layer 0 (conv2d): kernel 5x5 does not fit input (3, 8, 1) with padding 'valid'",
        ),
        (
            [{"type": "maxpool2d", "pool_size": 4}],
            (3, 8, 1),
            "layer 0 (maxpool2d): pool 4x4 does not fit input (3, 8, 1)",
        ),
        (
            [{"type": "conv2d", "filters": 2, "kernel_size": [1, 2, 3]}],
            (3, 3, 1),
            "kernel_size must be a positive integer or a list of two",
        ),
        (
            [{"type": "conv2d", "filters": 2, "kernel_size": 2, "padding": "full"}],
            (3, 3, 1),
            "padding must be one of valid, same",
        ),
        ([{"type": "batchnorm", "momentum": 1.0}], (3,), "momentum"),
        ([{"type": "embedding", "input_dim": 0, "output_dim": 2}], (3,), "input_dim"),
        ([{"type": "lstm", "units": 2, "activation": "relu"}], (3, 2), "unknown key"),
        ([{"type": "simple_rnn", "units": 2, "activation": "softmax"}], (3, 2), "activation"),
    ],
)
def test_spec_errors_name_layer_and_shapes(layers, shape, message):
    with pytest.raises(SpecError) as info:
        build_network(layers, shape)
    assert message in str(info.value)
    assert info.value.layer_index is not None


def test_batchnorm_running_stats_are_saved_weights(rng):
    layers = [{"type": "dense", "units": 3}, {"type": "batchnorm", "momentum": 0.5}]
    net = build_network(layers, (2,), seed=0)
    assert "layers.1.running_mean" not in dict(net.parameters())
    net.forward(rng.standard_normal((8, 2)) * 3 + 1, training=True)
    w = net.get_weights()
    assert w["layers.1.running_mean"].any() and not np.allclose(w["layers.1.running_var"], 1)
    x = rng.standard_normal((4, 2))
    other = build_network(layers, (2,), seed=5)
    other.set_weights(w)
    np.testing.assert_array_equal(other.predict(x), net.predict(x))
    # inference does not touch the statistics; training does
    net.predict(x)
    assert np.array_equal(net.get_weights()["layers.1.running_mean"], w["layers.1.running_mean"])


def test_embedding_rejects_bad_ids():
    net = build_network([{"type": "embedding", "input_dim": 5, "output_dim": 2}], (3,))
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        net.forward(np.array([[0, 1, 5]]))
    with pytest.raises(ValueError, match="integers"):
        net.forward(np.array([[0, 1.5, 2]]))


def test_float32_throughout_deep_net(rng):
    net = build_network(CNN, (12, 10, 1), seed=0)
    out = net.forward(rng.standard_normal((3, 12, 10, 1)), training=True)
    dx = net.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for _, g in net.gradients())
    rnn = build_network(
        [{"type": "gru", "units": 3, "return_sequences": True}, {"type": "lstm", "units": 2}],
        (4, 2),
        seed=0,
    )
    out = rnn.forward(rng.standard_normal((3, 4, 2)), training=True)
    assert out.dtype == rnn.backward(np.ones_like(out)).dtype == np.float32


def test_cnn_learns_digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X.reshape(-1, 8, 8, 1) - 4.9) / 6.0
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    layers = [
        {
            "type": "conv2d",
            "filters": 16,
            "kernel_size": 3,
            "padding": "same",
            "activation": "relu",
        },
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ]
    net = build_network(layers, (8, 8, 1), seed=0)
    fit(
        net,
        FitData(Xtr, ytr),
        FitOptions(
            loss="cross_entropy",
            optimizer={"type": "adam", "learning_rate": 0.005},
            epochs=8,
            batch_size=32,
        ),
    )
    assert accuracy(net.predict(Xte), yte) >= 0.95


def running_sum_crosses(n: int, steps: int = 16, threshold: int = 3, seed: int = 0):
    """±1 steps; label: does the running sum ever reach ``threshold``? (~45% positive)"""
    rng = np.random.default_rng(seed)
    s = rng.choice([-1.0, 1.0], size=(n, steps))
    return s[:, :, None], (np.cumsum(s, axis=1) >= threshold).any(axis=1).astype(int)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_recurrent_learns_running_sum(kind):
    X, y = running_sum_crosses(1500)
    net = build_network(
        [{"type": kind, "units": 16}, {"type": "dense", "units": 2, "activation": "softmax"}],
        (16, 1),
        seed=0,
    )
    fit(
        net,
        FitData(X[:1200], y[:1200]),
        FitOptions(
            loss="cross_entropy",
            optimizer={"type": "adam", "learning_rate": 0.01},
            epochs=6,
            batch_size=32,
        ),
    )
    assert accuracy(net.predict(X[1200:]), y[1200:]) >= 0.95


PREDICT_N = 97  # prime and larger than every layer dimension in the nets below
INFERENCE_NETS = [
    (
        [
            {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same"},
            {"type": "batchnorm"},
            {"type": "maxpool2d", "pool_size": [2, 3]},
            {"type": "conv2d", "filters": 3, "kernel_size": 2, "activation": "gelu"},
            {"type": "avgpool2d", "pool_size": 1},
            {"type": "activation", "activation": "gelu"},
            {"type": "flatten"},
            {"type": "dropout", "rate": 0.3},
            {"type": "dense", "units": 3, "activation": "softmax"},
        ],
        (6, 9, 2),
    ),
    (
        [
            {"type": "embedding", "input_dim": 11, "output_dim": 4},
            {"type": "batchnorm"},
            {"type": "simple_rnn", "units": 5, "activation": "gelu", "return_sequences": True},
            {"type": "lstm", "units": 4, "return_sequences": True},
            {"type": "gru", "units": 3},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ],
        (6,),
    ),
]


def _held_arrays(obj, found: list[np.ndarray]) -> list[np.ndarray]:
    """Every ndarray reachable from obj through dicts / lists / tuples, with its bases."""
    if isinstance(obj, np.ndarray):
        while isinstance(obj, np.ndarray):
            found.append(obj)
            obj = obj.base
    elif isinstance(obj, dict):
        for v in obj.values():
            _held_arrays(v, found)
    elif isinstance(obj, list | tuple):
        for v in obj:
            _held_arrays(v, found)
    return found


def _inputs(shape, n: int, rng) -> np.ndarray:
    return rng.integers(0, 11, (n, *shape)) if len(shape) == 1 else rng.normal(size=(n, *shape))


@pytest.mark.parametrize("layers,shape", INFERENCE_NETS)
def test_predict_keeps_nothing_on_the_layers(layers, shape, rng):
    """predict leaves no array of its batch on any layer and does not disturb the caches of
    a training-mode forward: backward after an interleaved predict gives the same grads."""
    x_train, x_pred = _inputs(shape, 8, rng), _inputs(shape, PREDICT_N, rng)
    plain, interleaved = build_network(layers, shape, seed=3), build_network(layers, shape, seed=3)
    out = plain.forward(x_train, training=True)
    grad = rng.normal(size=out.shape)
    plain.backward(grad)
    interleaved.forward(x_train, training=True)
    before = [id(v) for layer in interleaved.layers for v in vars(layer).values()]
    pred = interleaved.predict(x_pred)
    assert pred.shape == (PREDICT_N, interleaved.output_shape[0])
    np.testing.assert_allclose(pred, interleaved.predict(x_pred[::-1])[::-1], rtol=1e-6)
    for i, layer in enumerate(interleaved.layers):
        held = _held_arrays(vars(layer), [])
        assert held or not layer.params, "the walk sees the layer's arrays"
        pinned = [a.shape for a in held if any(d % PREDICT_N == 0 for d in a.shape)]
        assert not pinned, f"layer {i} ({layer.type_name}) keeps predict arrays {pinned}"
    assert [id(v) for layer in interleaved.layers for v in vars(layer).values()] == before
    interleaved.backward(grad)
    np.testing.assert_array_equal(interleaved.flat_grads, plain.flat_grads)
    assert np.abs(plain.flat_grads).sum() > 0


def test_batchnorm_single_row_batch_keeps_running_statistics():
    """A trailing training batch of one row (n % batch_size == 1) is normalised with the
    running statistics and leaves them alone; before, it pulled running_var toward 0."""
    rng = np.random.default_rng(0)
    X = rng.normal(2.0, 3.0, size=(33, 2))  # 32 + 1: every epoch ends in a one-row batch
    y = (X[:, 0] > 2).astype(int)
    layers = [{"type": "batchnorm"}, {"type": "dense", "units": 2, "activation": "softmax"}]
    net = build_network(layers, (2,), seed=0)
    opt = {"type": "sgd", "learning_rate": 0.01}
    fit(
        net,
        FitData(X, y),
        FitOptions(loss="cross_entropy", optimizer=opt, epochs=40, batch_size=32),
    )
    state = net.layers[0].state
    # with batch variance 0 in every second step the old update converged to ~0.47 * var
    np.testing.assert_allclose(state["running_var"], X.var(axis=0, ddof=1), rtol=0.1)
    np.testing.assert_allclose(state["running_mean"], X.mean(axis=0), atol=0.3)
