"""Recurrent converters: simple_rnn, lstm and gru over (N, T, F) inputs.

The engine's GRU is PyTorch's (reset gate applied after the recurrent product), which is
ONNX GRU with ``linear_before_reset=1``; LSTM and GRU map to the ONNX operators with their
gate blocks reordered. ``simple_rnn`` is the ONNX RNN operator for tanh, relu and sigmoid,
and is unrolled over its fixed timesteps from MatMul/Add and the activation otherwise."""

from __future__ import annotations

import numpy as np

from service.engine.layers import GRU, LSTM, Layer, SimpleRNN
from service.engine.layers.recurrent import Recurrent

from .activations import SIMPLE, activation
from .graph import GraphBuilder

LSTM_ORDER = (0, 3, 1, 2)
"""Engine blocks (i, f, g, o) in ONNX order (i, o, f, c)."""
GRU_ORDER = (1, 0, 2)
"""Engine blocks (r, z, n) in ONNX order (z, r, h)."""
RNN_NATIVE = ("tanh", "relu", "sigmoid")
"""simple_rnn activations every runtime's RNN operator implements."""


def reorder(a: np.ndarray, order: tuple[int, ...], units: int) -> np.ndarray:
    """Permute the gate blocks (each ``units`` wide) along the last axis of ``a``."""
    return np.concatenate([a[..., k * units : (k + 1) * units] for k in order], axis=-1)


def lstm(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    assert isinstance(layer, LSTM)
    p, u = layer.params, layer.units
    bias = np.concatenate([reorder(p["b"], LSTM_ORDER, u), np.zeros(4 * u, p["b"].dtype)])
    return _native(g, layer, x, hint, "LSTM", LSTM_ORDER, bias)


def gru(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    assert isinstance(layer, GRU)
    p, u = layer.params, layer.units
    bias = np.concatenate([reorder(p["b"], GRU_ORDER, u), reorder(p["b_hh"], GRU_ORDER, u)])
    return _native(g, layer, x, hint, "GRU", GRU_ORDER, bias, linear_before_reset=1)


def simple_rnn(g: GraphBuilder, layer: Layer, x: str, hint: str) -> str:
    assert isinstance(layer, SimpleRNN)
    name = layer.activation.name
    if name not in RNN_NATIVE:
        return _unrolled_rnn(g, layer, x, hint)
    b = layer.params["b"]
    bias = np.concatenate([b, np.zeros_like(b)])
    return _native(g, layer, x, hint, "RNN", (0,), bias, activations=[SIMPLE[name][0]])


def _native(
    g: GraphBuilder,
    layer: Recurrent,
    x: str,
    hint: str,
    op_type: str,
    order: tuple[int, ...],
    bias: np.ndarray,
    **attrs: object,
) -> str:
    """ONNX RNN/LSTM/GRU on the time-major input; W (1, G*U, F), R (1, G*U, U),
    B (1, 2*G*U) = input bias then recurrent bias. Returns (N, T, U) or the last state."""
    u = layer.units
    W = reorder(layer.params["W"], order, u).T[None]
    R = reorder(layer.params["U"], order, u).T[None]
    time_major = g.op("Transpose", [x], hint, perm=[1, 0, 2])
    inputs = [
        time_major,
        g.const(f"{hint}/W", W),
        g.const(f"{hint}/R", R),
        g.const(f"{hint}/B", bias[None]),
    ]
    states, last = g.ops(op_type, inputs, hint, 2, hidden_size=u, **attrs)
    if layer.return_sequences:  # Y: (T, 1, N, U)
        y = g.op("Squeeze", [states, g.ints(f"{hint}/axis1", [1])], hint)
        return g.op("Transpose", [y], hint, perm=[1, 0, 2])
    return g.op("Squeeze", [last, g.ints(f"{hint}/axis0", [0])], hint)  # Y_h: (1, N, U)


def _unrolled_rnn(g: GraphBuilder, layer: SimpleRNN, x: str, hint: str) -> str:
    """h_t = act(x_t W + b + h_{t-1} U) step by step (h_0 = 0, so step 0 has no U term)."""
    steps = layer.input_shape[0]
    xw = g.op("MatMul", [x, g.const(f"{hint}/W", layer.params["W"])], hint)
    xw = g.op("Add", [xw, g.const(f"{hint}/b", layer.params["b"])], hint)
    U = g.const(f"{hint}/U", layer.params["U"])
    states: list[str] = []
    for t in range(steps):
        z = g.op("Gather", [xw, g.const(f"{hint}/t{t}", t, np.int64)], f"{hint}/t{t}", axis=1)
        if states:
            z = g.op("Add", [z, g.op("MatMul", [states[-1], U], f"{hint}/t{t}")], f"{hint}/t{t}")
        states.append(activation(g, layer.activation.name, z, f"{hint}/t{t}"))
    if not layer.return_sequences:
        return states[-1]
    axis = g.ints(f"{hint}/axis1", [1])
    steps_n1u = [g.op("Unsqueeze", [h, axis], hint) for h in states]
    return g.op("Concat", steps_n1u, hint, axis=1)
