"""Element-wise activations (and softmax over the last axis).

Each activation has ``forward(z, out=None) -> a`` and ``backward(grad_a, a) -> grad_z``.
All backward passes are written in terms of the *output* ``a`` only, so a layer may compute
the activation in place over its pre-activation buffer. Shapes: any ``(N, ...)``; softmax
normalises over the last axis. dtype follows the input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray

LEAKY_RELU_ALPHA = 0.01


def _buf(z: Array, out: Array | None) -> Array:
    return np.empty_like(z) if out is None else out


def linear(z: Array, out: Array | None = None) -> Array:
    if out is None or out is z:
        return z
    np.copyto(out, z)
    return out


def linear_backward(grad: Array, a: Array) -> Array:
    return grad


def relu(z: Array, out: Array | None = None) -> Array:
    return np.maximum(z, 0, out=_buf(z, out))


def relu_backward(grad: Array, a: Array) -> Array:
    return grad * (a > 0)


def leaky_relu(z: Array, out: Array | None = None) -> Array:
    # max(z, alpha*z) == leaky relu for 0 < alpha < 1
    scaled = z * LEAKY_RELU_ALPHA
    return np.maximum(z, scaled, out=_buf(z, out))


def leaky_relu_backward(grad: Array, a: Array) -> Array:
    slope = np.where(a > 0, grad.dtype.type(1.0), grad.dtype.type(LEAKY_RELU_ALPHA))
    return grad * slope


def tanh(z: Array, out: Array | None = None) -> Array:
    return np.tanh(z, out=_buf(z, out))


def tanh_backward(grad: Array, a: Array) -> Array:
    d = np.square(a)
    np.subtract(1, d, out=d)
    d *= grad
    return d


def sigmoid(z: Array, out: Array | None = None) -> Array:
    """Stable logistic: uses exp(-|z|) so nothing overflows."""
    e = np.exp(-np.abs(z))
    num = np.where(z >= 0, z.dtype.type(1.0), e)
    e += 1
    return np.divide(num, e, out=_buf(z, out))


def sigmoid_backward(grad: Array, a: Array) -> Array:
    d = np.subtract(1, a)
    d *= a
    d *= grad
    return d


def softmax(z: Array, out: Array | None = None) -> Array:
    """Softmax over the last axis, shifted by the row max for stability."""
    out = _buf(z, out)
    np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def softmax_backward(grad: Array, a: Array) -> Array:
    """Full Jacobian-vector product: a * (g - sum(g * a))."""
    s = np.sum(grad * a, axis=-1, keepdims=True)
    d = grad - s
    d *= a
    return d


@dataclass(frozen=True)
class Activation:
    """A named activation: ``forward(z, out=None)`` and ``backward(grad_a, a)``."""

    name: str
    forward: Callable[..., Array]
    backward: Callable[[Array, Array], Array]


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", linear, linear_backward),
        Activation("relu", relu, relu_backward),
        Activation("leaky_relu", leaky_relu, leaky_relu_backward),
        Activation("tanh", tanh, tanh_backward),
        Activation("sigmoid", sigmoid, sigmoid_backward),
        Activation("softmax", softmax, softmax_backward),
    )
}
