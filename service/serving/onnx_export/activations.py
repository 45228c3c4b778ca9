"""The engine's activations as ONNX nodes (same formulas as service/engine/activations.py)."""

from __future__ import annotations

from service.engine.activations import ELU_ALPHA, GELU_C, LEAKY_RELU_ALPHA

from .graph import GraphBuilder

SIMPLE = {
    "relu": ("Relu", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": LEAKY_RELU_ALPHA}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "softmax": ("Softmax", {"axis": -1}),
    "elu": ("Elu", {"alpha": ELU_ALPHA}),
    "softplus": ("Softplus", {}),
}
"""Activations that are one ONNX operator (softmax over the last axis, as the engine)."""


def activation(g: GraphBuilder, name: str, x: str, hint: str) -> str:
    """Apply the engine activation ``name`` to tensor ``x``; returns the output tensor."""
    if name == "linear":
        return x
    if name == "gelu":
        return _gelu(g, x, hint)
    op_type, attrs = SIMPLE[name]
    return g.op(op_type, [x], f"{hint}/{name}", **attrs)


def _gelu(g: GraphBuilder, z: str, hint: str) -> str:
    """Tanh approximation 0.5 z (1 + tanh(c (z + 0.044715 z^3))) in the engine's order."""
    h = f"{hint}/gelu"
    t = g.op("Mul", [z, z], h)
    t = g.op("Mul", [t, g.const(f"{h}/k", 0.044715 * GELU_C)], h)
    t = g.op("Add", [t, g.const(f"{h}/c", GELU_C)], h)
    t = g.op("Mul", [t, z], h)
    t = g.op("Tanh", [t], h)
    t = g.op("Add", [t, g.const(f"{h}/one", 1.0)], h)
    t = g.op("Mul", [t, g.const(f"{h}/half", 0.5)], h)
    return g.op("Mul", [z, t], h)
