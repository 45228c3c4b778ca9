"""Element-wise activations (and softmax over the last axis).

Each activation has ``forward(z, out=None) -> a`` and ``backward(grad_a, a, z=None) ->
grad_z``. Most backward passes are written in terms of the *output* ``a`` only, so a layer may
compute the activation in place over its pre-activation buffer; those with
``uses_input=True`` (gelu) also need the pre-activation ``z``, so layers keep it for them.
Shapes: any ``(N, ...)``; softmax normalises over the last axis. dtype follows the input.
"""

from __future__ import annotations

import functools
import math
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


def linear_backward(grad: Array, a: Array, z: Array | None = None) -> Array:
    return grad


def relu(z: Array, out: Array | None = None) -> Array:
    """max(z, 0); for large arrays as z * (z > 0), which NumPy runs several times faster
    than ``np.maximum`` (negative inputs then give -0.0, which equals 0.0)."""
    if z.size < 4096:
        return np.maximum(z, 0, out=_buf(z, out))
    return np.multiply(z, np.greater(z, 0), out=_buf(z, out))


def relu_backward(grad: Array, a: Array, z: Array | None = None) -> Array:
    return grad * (a > 0)


def leaky_relu(z: Array, out: Array | None = None) -> Array:
    # max(z, alpha*z) == leaky relu for 0 < alpha < 1
    scaled = z * LEAKY_RELU_ALPHA
    return np.maximum(z, scaled, out=_buf(z, out))


def leaky_relu_backward(grad: Array, a: Array, z: Array | None = None) -> Array:
    slope = np.where(a > 0, grad.dtype.type(1.0), grad.dtype.type(LEAKY_RELU_ALPHA))
    return grad * slope


def tanh(z: Array, out: Array | None = None) -> Array:
    return np.tanh(z, out=_buf(z, out))


def tanh_backward(grad: Array, a: Array, z: Array | None = None) -> Array:
    d = np.square(a)
    np.subtract(1, d, out=d)
    d *= grad
    return d


def sigmoid(z: Array, out: Array | None = None) -> Array:
    """Logistic as 0.5 * tanh(z / 2) + 0.5: stable (nothing overflows) and four in-place
    passes without temporaries."""
    out = np.multiply(z, 0.5, out=_buf(z, out))
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def sigmoid_backward(grad: Array, a: Array, z: Array | None = None) -> Array:
    d = np.subtract(1, a)
    d *= a
    d *= grad
    return d


@functools.lru_cache(maxsize=64)
def _ones(n: int, dtype: np.dtype) -> Array:
    """A read-only vector of n ones (shared)."""
    ones = np.ones(n, dtype=dtype)
    ones.flags.writeable = False
    return ones


def _row_max(z: Array) -> Array:
    """Max over the last axis, keeping it (size 1). NumPy reduces short rows slowly, so
    many rows of fewer than 64 take the max down the columns of a transposed copy (a few
    rows, e.g. one predict, reduce directly: the copy would cost more)."""
    c = z.shape[-1]
    if c >= 64 or z.ndim < 2 or z.size < 16 * c:
        return np.maximum.reduce(z, axis=-1, keepdims=True)
    columns = np.ascontiguousarray(z.reshape(-1, c).T)  # (C, rows)
    return np.maximum.reduce(columns, axis=0).reshape(*z.shape[:-1], 1)


def softmax(z: Array, out: Array | None = None) -> Array:
    """Softmax over the last axis, shifted by the row max for stability; the row sums are
    one BLAS product with ones (NumPy's last-axis sum of short rows is slower)."""
    out = _buf(z, out)
    np.subtract(z, _row_max(z), out=out)
    np.exp(out, out=out)
    sums = np.matmul(out, _ones(out.shape[-1], out.dtype))
    return np.divide(out, sums[..., None], out=out)


def softmax_backward(grad: Array, a: Array, z: Array | None = None) -> Array:
    """Full Jacobian-vector product: a * (g - sum(g * a))."""
    s = np.sum(grad * a, axis=-1, keepdims=True)
    d = grad - s
    d *= a
    return d


ELU_ALPHA = 1.0
GELU_C = math.sqrt(2.0 / math.pi)


def elu(z: Array, out: Array | None = None) -> Array:
    """z for z > 0, alpha * (exp(z) - 1) otherwise (alpha = 1)."""
    neg = np.expm1(np.minimum(z, 0))
    neg *= ELU_ALPHA
    mask = z <= 0
    out = linear(z, _buf(z, out))
    np.copyto(out, neg, where=mask)
    return out


def elu_backward(grad: Array, a: Array, z: Array | None = None) -> Array:
    """d/dz = 1 for z > 0, else alpha * exp(z) = a + alpha."""
    slope = a + ELU_ALPHA
    np.copyto(slope, 1, where=a > 0)
    slope *= grad
    return slope


def gelu(z: Array, out: Array | None = None) -> Array:
    """Tanh approximation (PyTorch ``approximate="tanh"``):
    0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))."""
    t = z * z
    t *= 0.044715 * GELU_C
    t += GELU_C
    t *= z
    np.tanh(t, out=t)
    t += 1
    t *= 0.5
    return np.multiply(z, t, out=_buf(z, out))


def gelu_backward(grad: Array, a: Array, z: Array | None = None) -> Array:
    """Needs the pre-activation ``z``."""
    if z is None:
        raise ValueError("gelu backward needs the pre-activation input")
    z2 = z * z
    u = GELU_C * (z + 0.044715 * z2 * z)
    t = np.tanh(u)
    du = GELU_C * (1 + 3 * 0.044715 * z2)
    d = 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * du
    d *= grad
    return d.astype(grad.dtype, copy=False)


def softplus(z: Array, out: Array | None = None) -> Array:
    """log(1 + exp(z)), computed stably as max(z, 0) + log1p(exp(-|z|))."""
    t = np.exp(-np.abs(z))
    np.log1p(t, out=t)
    return np.add(np.maximum(z, 0), t, out=_buf(z, out))


def softplus_backward(grad: Array, a: Array, z: Array | None = None) -> Array:
    """d/dz = sigmoid(z) = 1 - exp(-a)."""
    d = np.exp(-a)
    np.subtract(1, d, out=d)
    d *= grad
    return d


@dataclass(frozen=True)
class Activation:
    """A named activation: ``forward(z, out=None)`` and ``backward(grad_a, a, z=None)``.

    ``uses_input``: backward needs ``z`` (so forward must not overwrite it)."""

    name: str
    forward: Callable[..., Array]
    backward: Callable[..., Array]
    uses_input: bool = False


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", linear, linear_backward),
        Activation("relu", relu, relu_backward),
        Activation("leaky_relu", leaky_relu, leaky_relu_backward),
        Activation("tanh", tanh, tanh_backward),
        Activation("sigmoid", sigmoid, sigmoid_backward),
        Activation("softmax", softmax, softmax_backward),
        Activation("elu", elu, elu_backward),
        Activation("gelu", gelu, gelu_backward, uses_input=True),
        Activation("softplus", softplus, softplus_backward),
    )
}
