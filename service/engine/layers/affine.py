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
    otherwise) and ``use_bias``; subclasses give W's shape and fans."""

    def __init__(
        self, activation: str = "linear", initializer: str | None = None, use_bias: bool = True
    ) -> None:
        super().__init__()
        self.activation: Activation = ACTIVATIONS[activation]
        self.initializer = initializer or default_initializer(activation)
        self.use_bias = use_bias
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
