"""Per-layer converters for the feed-forward layers: engine layer -> ONNX nodes.

Tensors between layers keep the engine's layout: (N, features), NHWC images, (N, T, F)
sequences. Convolution and pooling transpose to NCHW for the ONNX operator and back
(runtimes fuse the adjacent transposes)."""

from __future__ import annotations

import numpy as np

from service.engine.layers import (
    ActivationLayer,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Embedding,
    Layer,
    MaxPool2D,
)
from service.engine.layers.windows import out_size

from .activations import activation
from .graph import GraphBuilder

TO_NCHW, TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]


def dense(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    """act(x @ W + b) over the last axis of (N, ..., in)."""
    assert isinstance(layer, Dense)
    z = g.op("MatMul", [x, g.const(f"{hint}/W", layer.params["W"])], hint)
    if layer.use_bias:
        z = g.op("Add", [z, g.const(f"{hint}/b", layer.params["b"])], hint)
    return activation(g, layer.activation.name, z, hint)


def activation_layer(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    assert isinstance(layer, ActivationLayer)
    return activation(g, layer.activation.name, x, hint)


def identity(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    """Dropout: the identity at inference."""
    return x


def flatten(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    """(N, d1, d2, ...) -> (N, d1*d2*...) in row-major (NHWC) order, as the engine."""
    return g.op("Flatten", [x], hint, axis=1)


def conv2d(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    """NHWC conv with W (kh, kw, C, filters) as ONNX Conv with W (filters, C, kh, kw);
    "same" padding pads like the engine (extra padding after)."""
    assert isinstance(layer, Conv2D)
    h, w, _ = layer.input_shape
    (kh, kw), (sh, sw) = layer.kernel, layer.stride
    _, top, bottom = out_size(h, kh, sh, layer.padding)
    _, left, right = out_size(w, kw, sw, layer.padding)
    inputs = [
        g.op("Transpose", [x], hint, perm=TO_NCHW),
        g.const(f"{hint}/W", layer.params["W"].transpose(3, 2, 0, 1)),
    ]
    if layer.use_bias:
        inputs.append(g.const(f"{hint}/b", layer.params["b"]))
    y = g.op(
        "Conv",
        inputs,
        hint,
        kernel_shape=[kh, kw],
        strides=[sh, sw],
        pads=[top, left, bottom, right],
    )
    y = g.op("Transpose", [y], hint, perm=TO_NHWC)
    return activation(g, layer.activation.name, y, hint)


def pool2d(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    """Max or average over windows of an NHWC image (no padding)."""
    assert isinstance(layer, MaxPool2D | AvgPool2D)
    op_type = "MaxPool" if isinstance(layer, MaxPool2D) else "AveragePool"
    y = g.op("Transpose", [x], hint, perm=TO_NCHW)
    y = g.op(op_type, [y], hint, kernel_shape=list(layer.pool), strides=list(layer.stride))
    return g.op("Transpose", [y], hint, perm=TO_NHWC)


def batchnorm(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    """(x - running_mean) * inv_std * gamma + beta over the last axis, in the engine's
    order and float32 arithmetic (inv_std = 1 / sqrt(running_var + epsilon))."""
    assert isinstance(layer, BatchNorm)
    inv_std = 1.0 / np.sqrt(layer.state["running_var"] + layer.epsilon)
    y = g.op("Sub", [x, g.const(f"{hint}/running_mean", layer.state["running_mean"])], hint)
    y = g.op("Mul", [y, g.const(f"{hint}/inv_std", inv_std)], hint)
    y = g.op("Mul", [y, g.const(f"{hint}/gamma", layer.params["gamma"])], hint)
    return g.op("Add", [y, g.const(f"{hint}/beta", layer.params["beta"])], hint)


def embedding(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    """int64 ids (N, *S) -> rows of W (N, *S, output_dim)."""
    assert isinstance(layer, Embedding)
    return g.op("Gather", [g.const(f"{hint}/W", layer.params["W"]), x], hint, axis=0)
