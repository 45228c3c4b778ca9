"""Embedding lookup: integer token ids (N, *S) -> vectors (N, *S, output_dim)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import SpecReader
from .base import Layer, Shape


class Embedding(Layer):
    """Row lookup in W: (input_dim, output_dim); ``input_dim`` is the vocabulary size.

    Inputs arrive in the network's float dtype and must hold integer ids in
    [0, input_dim); anything else raises ``ValueError``. No gradient flows to the ids."""

    type_name = "embedding"
    spec_keys = ("input_dim", "output_dim")
    width_keys = ("output_dim",)

    def __init__(self, input_dim: int, output_dim: int) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.output_dim = output_dim
        self._ids: np.ndarray | None = None

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Embedding:
        return cls(r.positive_int("input_dim"), r.positive_int("output_dim"))

    def config(self) -> dict[str, Any]:
        return {"type": self.type_name, "input_dim": self.input_dim, "output_dim": self.output_dim}

    def plan(self, input_shape: Shape, index: int | None = None) -> tuple[Shape, int]:
        """(*S) ids -> (*S, output_dim); input_dim * output_dim weights."""
        return (*input_shape, self.output_dim), self.input_dim * self.output_dim

    def _allocate(self, rng: np.random.Generator) -> None:
        w = rng.uniform(-0.05, 0.05, (self.input_dim, self.output_dim)).astype(self.dtype)
        self.params["W"] = w
        self.grads["W"] = np.zeros_like(w)

    @property
    def token_vocab(self) -> int | None:
        return self.input_dim

    def token_ids(self, x: np.ndarray) -> np.ndarray:
        """Validated intp ids of x's shape (raises ``ValueError`` naming the bad value)."""
        ids = np.asarray(x).astype(np.intp)
        bad = (ids != x) | (ids < 0) | (ids >= self.input_dim)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"embedding input {list(where)} is {x[where]!r}; token ids must be integers in "
                f"[0, {self.input_dim - 1}] (input_dim is the vocabulary size)"
            )
        return ids

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, *S) ids -> (N, *S, output_dim); keeps the ids for backward."""
        self._ids = self.token_ids(x)
        return self.params["W"][self._ids]

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Like forward, keeping nothing."""
        return self.params["W"][self.token_ids(x)]

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        if self._ids is None:
            raise RuntimeError("backward called before forward")
        dW = self.grads["W"]
        dW[...] = 0
        np.add.at(dW, self._ids.ravel(), grad.reshape(-1, self.output_dim))
        if not need_input_grad:
            return None
        return np.zeros(self._ids.shape, dtype=grad.dtype)
