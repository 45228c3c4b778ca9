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

    def __init__(
        self,
        units: int,
        activation: str = "linear",
        initializer: str | None = None,
        use_bias: bool = True,
    ) -> None:
        super().__init__(activation, initializer, use_bias)
        self.units = units
        self._x: np.ndarray | None = None

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
        a, self._z = activate(self.activation, z)
        self._x, self._a = x2, a
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

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        if self._x is None or self._a is None:
            raise RuntimeError("backward called before forward")
        g = grad.reshape(-1, self.units)
        if not skip_activation:
            if self.activation.name == "relu":  # grad * (a > 0) into reused buffers
                mask = np.greater(self._a, 0, out=self.buffer("mask", g.shape, np.bool_))
                g = np.multiply(g, mask, out=self.buffer("gz", g.shape))
            else:
                g = self.activation.backward(g, self._a, self._z)
        W = self.params["W"]
        np.matmul(self._x.T, g, out=self.grads["W"])
        if self.use_bias:
            np.sum(g, axis=0, out=self.grads["b"])
        if not need_input_grad:
            return None
        dx = np.matmul(g, W.T, out=self.buffer("dx", (g.shape[0], W.shape[0])))
        return dx.reshape(*grad.shape[:-1], W.shape[0])
