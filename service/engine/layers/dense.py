"""Fully connected layer over the last axis: (N, ..., in) -> (N, ..., units)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import SpecReader
from .affine import AFFINE_KEYS, Affine
from .base import Shape, activate


class Dense(Affine):
    """``a = act(x @ W + b)`` with W: (in, units), b: (units,)."""

    type_name = "dense"
    spec_keys = ("units", *AFFINE_KEYS)
    width_keys = ("units",)

    def __init__(self, units: int, **affine: Any) -> None:
        """``affine``: activation, initializer, use_bias (see :class:`Affine`)."""
        super().__init__(**affine)
        self.units = units
        #: relu's z > 0 from the last training-mode forward (None otherwise)
        self._mask: np.ndarray | None = None

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Dense:
        return cls(r.positive_int("units"), **cls._read_affine(r))

    def config(self) -> dict[str, Any]:
        return {"type": self.type_name, "units": self.units, **self._affine_config()}

    def plan(self, input_shape: Shape, index: int | None = None) -> tuple[Shape, int]:
        """(..., in) -> (..., units); in * units weights plus units biases."""
        if len(input_shape) < 1:
            raise self._error("input must have at least one feature axis", index)
        kernel = (input_shape[-1], self.units)
        return (*input_shape[:-1], self.units), self._affine_params(kernel)

    def _allocate(self, rng: np.random.Generator) -> None:
        fan_in = self.input_shape[-1]
        self._allocate_affine((fan_in, self.units), fan_in, self.units, rng)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        W = self.params["W"]
        x2 = x.reshape(-1, W.shape[0])
        if training:  # reused buffer: valid until the next training-mode forward
            z = np.matmul(x2, W, out=self.buffer("z", (x2.shape[0], self.units)))
        else:
            z = x2 @ W
        if self.use_bias:
            z += self.params["b"]
        self._mask = None
        if training and self.activation.name == "relu":  # z * (z > 0), mask kept for backward
            self._mask = np.greater(z, 0, out=self.buffer("mask", z.shape, np.bool_))
            a = np.multiply(z, self._mask, out=z)
        else:
            a, self._z = activate(self.activation, z)
        self._inputs, self._a = x2, a
        return a.reshape(*x.shape[:-1], self.units)

    def infer(self, x: np.ndarray) -> np.ndarray:
        """(N, ..., in) -> fresh (N, ..., units); three NumPy calls for a 2-D input."""
        W = self.params["W"]
        if x.ndim != 2:
            return self.infer(x.reshape(-1, W.shape[0])).reshape(*x.shape[:-1], self.units)
        z = np.dot(x, W)  # dot: BLAS gemv for a single row, gemm otherwise
        if self.use_bias:
            np.add(z, self.params["b"], out=z)
        act = self.activation
        return act.forward(z) if act.uses_input else act.forward(z, out=z)

    def _activation_backward(self, g: np.ndarray) -> np.ndarray:
        if self._mask is not None:  # relu after a training-mode forward: grad * (z > 0)
            return np.multiply(g, self._mask, out=self.buffer("gz", g.shape))
        return super()._activation_backward(g)

    def _input_grad(self, g: np.ndarray, out_shape: Shape) -> np.ndarray:
        """g @ W.T into a reused buffer, (N, ..., in)."""
        W = self.params["W"]
        dx = np.matmul(g, W.T, out=self.buffer("dx", (g.shape[0], W.shape[0])))
        return dx.reshape(*out_shape[:-1], W.shape[0])
