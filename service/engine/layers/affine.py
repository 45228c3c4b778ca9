"""Shared base of dense and conv2d: ``act(x W + b)``, W drawn by a named initializer, b
optional. It reads, writes and allocates the options they share."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..activations import ACTIVATIONS, Activation
from ..initializers import INITIALIZERS, default_initializer
from ..spec import SpecReader
from .base import Layer, Shape

AFFINE_KEYS = ("activation", "initializer", "use_bias")
"""Spec keys every affine layer takes besides its own."""


class Affine(Layer):
    """Holds the activation, the initializer name (default: he for rectifiers, glorot
    otherwise) and ``use_bias``, and computes the W and b gradients; subclasses give W's
    shape and fans, the forward pass and the input gradient."""

    def __init__(
        self, activation: str = "linear", initializer: str | None = None, use_bias: bool = True
    ) -> None:
        super().__init__()
        self.activation: Activation = ACTIVATIONS[activation]
        self.initializer = initializer or default_initializer(activation)
        self.use_bias = use_bias
        #: what forward keeps for backward: its input as a (rows, fan_in) matrix (x, or the
        #: im2col windows), the activations and the pre-activations (when the activation's
        #: backward needs them)
        self._inputs: np.ndarray | None = None
        self._a: np.ndarray | None = None
        self._z: np.ndarray | None = None

    @staticmethod
    def _read_affine(r: SpecReader) -> dict[str, Any]:
        """activation, initializer and use_bias from a spec, as keyword arguments."""
        return {
            "activation": r.choice("activation", ACTIVATIONS, default="linear"),
            "initializer": r.choice("initializer", INITIALIZERS) if r.has("initializer") else None,
            "use_bias": r.boolean("use_bias", True),
        }

    def _affine_config(self) -> dict[str, Any]:
        return {
            "activation": self.activation.name,
            "initializer": self.initializer,
            "use_bias": self.use_bias,
        }

    @property
    def activation_name(self) -> str | None:
        return self.activation.name

    def _affine_params(self, kernel: Shape) -> int:
        """Parameters of a W of shape ``kernel`` plus, with ``use_bias``, b of kernel[-1]."""
        return math.prod(kernel) + (kernel[-1] if self.use_bias else 0)

    def _allocate_affine(
        self, kernel: Shape, fan_in: int, fan_out: int, rng: np.random.Generator
    ) -> None:
        """W of shape ``kernel`` from the initializer, zero b of kernel[-1] with
        ``use_bias``, and their gradients."""
        init = INITIALIZERS[self.initializer]
        self.params["W"] = init(kernel, fan_in, fan_out, rng, self.dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if self.use_bias:
            self.params["b"] = np.zeros(kernel[-1], dtype=self.dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])

    def _activation_backward(self, g: np.ndarray) -> np.ndarray:
        """dL/dz from dL/da, both (rows, out)."""
        return self.activation.backward(g, self._a, self._z)

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        """Fills the W and b gradients from the input matrix the forward kept, then (when
        needed) returns dL/dx from the subclass's :meth:`_input_grad`."""
        if self._inputs is None or self._a is None:
            raise RuntimeError("backward called before forward")
        out = self.params["W"].shape[-1]
        g = grad.reshape(-1, out)
        if not skip_activation:
            g = self._activation_backward(g)
        np.matmul(self._inputs.T, g, out=self.grads["W"].reshape(-1, out))
        if self.use_bias:
            self.column_sums(g, self.grads["b"])
        return self._input_grad(g, grad.shape) if need_input_grad else None

    def _input_grad(self, g: np.ndarray, out_shape: Shape) -> np.ndarray:
        """dL/dx of the input's shape from dL/dz ``g`` (rows, out); ``out_shape`` is the
        shape of the output gradient backward got."""
        raise NotImplementedError
