"""Inverted dropout: (N, ...) -> (N, ...); identity at inference."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import SpecReader
from .base import ParameterFreeLayer


class Dropout(ParameterFreeLayer):
    """Zeroes each element with probability ``rate`` during training and scales the rest by
    ``1 / (1 - rate)``. Masks are drawn from the network's Generator (``self.rng``)."""

    type_name = "dropout"
    spec_keys = ("rate",)
    keeps_activation = True

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate
        self._mask: np.ndarray | None = None

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Dropout:
        return cls(r.number("rate", low=0.0, high=1.0, high_inclusive=False))

    def config(self) -> dict[str, Any]:
        return {"type": self.type_name, "rate": self.rate}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        if self.rng is None:
            raise RuntimeError("dropout layer is not built")
        u = self.rng.random(x.shape, dtype=x.dtype)
        mask = np.greater_equal(u, self.rate, out=np.empty(x.shape, dtype=bool))
        np.multiply(mask, x.dtype.type(1.0 / (1.0 - self.rate)), out=u)
        self._mask = u
        return x * u

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Identity (x itself); keeps nothing."""
        return x

    def _input_grad(self, grad: np.ndarray, skip_activation: bool) -> np.ndarray:
        if self._mask is None:
            return grad
        return grad * self._mask
