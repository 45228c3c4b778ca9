"""Every layer type and activation, exported and run in onnxruntime, agrees with predict.

Models here have random weights (no training), so nothing is an identity by accident:
random batchnorm statistics, input standardizer and target scaler."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from onnx_support import assert_agrees, random_row, run_onnx

from service.engine.activations import ACTIVATIONS
from service.engine.layers import LAYER_TYPES
from service.serving.model import load_model
from service.serving.onnx_export.model import CONVERTERS, export_onnx
from service.serving.onnx_export.recurrent import RNN_NATIVE
from service.serving.onnx_export.source import source_from_row
from service.serving.predict import predict

SOFTMAX3 = {"type": "dense", "units": 3, "activation": "softmax"}


def agree(layers: list[dict[str, Any]], shape: tuple[int, ...], **row: Any) -> dict:
    """Export a random model, run 32 random rows through onnxruntime and predict."""
    model = random_row(layers, shape, **row)
    rng = np.random.default_rng(7)
    if layers[0]["type"] == "embedding":
        X = rng.integers(0, layers[0]["input_dim"], (32, *shape)).astype(np.int64)
    else:
        X = rng.normal(0, 2, (32, *shape)).astype(np.float32)
    out = run_onnx(export_onnx(source_from_row(model)), X)
    assert_agrees(predict(load_model(model), X.astype(np.float32).tolist()), out)
    return out


def test_every_layer_type_has_a_converter():
    assert set(CONVERTERS) == set(LAYER_TYPES)


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_dense_and_activation_layer(act):
    layers = [
        {"type": "dense", "units": 6, "activation": act},
        {"type": "activation", "activation": act},
        {"type": "dense", "units": 3, "activation": "softmax", "use_bias": False},
    ]
    agree(layers, (5,), classes=["a", "b", "c"])


def test_images_conv_pool_batchnorm_flatten_dropout():
    layers = [
        {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "stride": 2,
         "activation": "relu"},
        {"type": "batchnorm", "epsilon": 0.01},
        {"type": "maxpool2d", "pool_size": 2, "stride": 1},
        {"type": "conv2d", "filters": 3, "kernel_size": [2, 1], "use_bias": False,
         "activation": "softmax"},
        {"type": "avgpool2d", "pool_size": [1, 2]},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.5},
        SOFTMAX3,
    ]  # fmt: skip
    agree(layers, (9, 8, 2), classes=[3, 5, 7])


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv_padding_with_uneven_strides(padding):
    layers = [
        {"type": "conv2d", "filters": 2, "kernel_size": [3, 2], "padding": padding,
         "stride": [2, 3], "activation": "tanh"},
        {"type": "flatten"},
        SOFTMAX3,
    ]  # fmt: skip
    agree(layers, (7, 8, 3), classes=[0, 1, 2])


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("sequences", [True, False])
def test_recurrent_layers(kind, sequences):
    layers = [
        {"type": kind, "units": 4, "return_sequences": sequences},
        {"type": "flatten"},
        {"type": "dense", "units": 1, "activation": "sigmoid"},
    ]
    out = agree(layers, (6, 3), classes=[0, 1])
    assert out["probabilities"].shape == (32, 2)


def test_stacked_recurrent_layers_with_batchnorm_between():
    layers = [
        {"type": "gru", "units": 5, "return_sequences": True},
        {"type": "batchnorm"},
        {"type": "lstm", "units": 4, "return_sequences": True},
        {"type": "dense", "units": 3, "activation": "relu"},
        {"type": "simple_rnn", "units": 3},
        SOFTMAX3,
    ]
    agree(layers, (5, 2), classes=["x", "y", "z"])


@pytest.mark.parametrize("act", sorted(set(ACTIVATIONS) - {"softmax"}))
def test_simple_rnn_activations_native_and_unrolled(act):
    layers = [{"type": "simple_rnn", "units": 4, "activation": act, "return_sequences": True}]
    agree([*layers, {"type": "flatten"}, SOFTMAX3], (5, 3), classes=[0.5, 1.5, 2.5])
    agree([{**layers[0], "return_sequences": False}, SOFTMAX3], (5, 3), classes=[0, 1, 2])


def test_rnn_native_activations_are_the_common_ones():
    assert set(RNN_NATIVE) == {"tanh", "relu", "sigmoid"}


@pytest.mark.parametrize("after", ["gru", "flatten"])
def test_embedding_takes_int64_ids(after):
    layers = [
        {"type": "embedding", "input_dim": 11, "output_dim": 4},
        {"type": after, **({"units": 6} if after == "gru" else {})},
        SOFTMAX3,
    ]
    agree(layers, (6,), classes=["p", "q", "r"], scaled=False)


def test_regression_unscales_the_target():
    layers = [
        {"type": "dense", "units": 8, "activation": "tanh"},
        {"type": "batchnorm"},
        {"type": "dense", "units": 1},
    ]
    out = agree(layers, (4,), task="regression")
    assert out["predictions"].shape == (32,) and out["predictions"].dtype == np.float32
    assert abs(float(np.mean(out["predictions"])) - 12.5) < 3 * 3.25  # in the target's units
