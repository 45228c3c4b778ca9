"""Standalone activation layer: (N, ...) -> (N, ...)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..activations import ACTIVATIONS, Activation
from ..spec import SpecReader
from .base import ParameterFreeLayer


class ActivationLayer(ParameterFreeLayer):
    """Applies a named activation (softmax over the last axis)."""

    type_name = "activation"
    spec_keys = ("activation",)

    def __init__(self, activation: str) -> None:
        super().__init__()
        self.activation: Activation = ACTIVATIONS[activation]
        self._a: np.ndarray | None = None
        self._z: np.ndarray | None = None

    @classmethod
    def _from_reader(cls, r: SpecReader) -> ActivationLayer:
        if not r.has("activation"):
            raise r.error("activation is required")
        return cls(r.choice("activation", ACTIVATIONS))

    def config(self) -> dict[str, Any]:
        return {"type": self.type_name, "activation": self.activation.name}

    @property
    def activation_name(self) -> str | None:
        return self.activation.name

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Keeps the output (and the input, if the activation's backward needs it)."""
        self._a = self.activation.forward(x)
        self._z = x if self.activation.uses_input else None
        return self._a

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Fresh activated copy of x; keeps nothing."""
        return self.activation.forward(x)

    def _input_grad(self, grad: np.ndarray, skip_activation: bool) -> np.ndarray:
        if skip_activation:
            return grad
        if self._a is None:
            raise RuntimeError("backward called before forward")
        return self.activation.backward(grad, self._a, self._z)
