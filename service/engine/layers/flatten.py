"""Flatten: (N, d1, d2, ...) -> (N, d1*d2*...)."""

from __future__ import annotations

import math

import numpy as np

from .base import ParameterFreeLayer, Shape


class Flatten(ParameterFreeLayer):
    """Reshapes each sample to a vector (a view when the input is contiguous)."""

    type_name = "flatten"
    keeps_activation = True

    def plan(self, input_shape: Shape, index: int | None = None) -> tuple[Shape, int]:
        """(d1, d2, ...) -> (d1*d2*...,); no parameters."""
        return (math.prod(input_shape),), 0

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x.reshape(x.shape[0], -1)

    def _input_grad(self, grad: np.ndarray, skip_activation: bool) -> np.ndarray:
        return grad.reshape(grad.shape[0], *self.input_shape)
