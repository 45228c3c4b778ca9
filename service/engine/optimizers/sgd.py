"""Stochastic gradient descent with optional (Nesterov) momentum.

Momentum follows the PyTorch convention: ``v = mu * v + g``; ``p -= lr * v``
(Nesterov: ``p -= lr * (g + mu * v)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import SpecReader
from .base import Optimizer


class SGD(Optimizer):
    type_name = "sgd"
    spec_keys = ("learning_rate", "momentum", "nesterov")

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.slots = ("velocity",) if self.momentum > 0.0 else ()

    @classmethod
    def _from_reader(cls, r: SpecReader) -> SGD:
        lr = r.number("learning_rate", 0.01, low=0.0, low_inclusive=False)
        momentum = r.number("momentum", 0.0, low=0.0, high=1.0, high_inclusive=False)
        nesterov = r.boolean("nesterov", False)
        if nesterov and momentum == 0.0:
            raise r.error("nesterov requires momentum > 0")
        return cls(lr, momentum, nesterov)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "momentum": self.momentum, "nesterov": self.nesterov}

    def _update(
        self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        lr = self.learning_rate
        if self.momentum == 0.0:
            param -= lr * grad
            return
        v = state["velocity"]
        v *= self.momentum
        v += grad
        if self.nesterov:
            upd = v * self.momentum
            upd += grad
            upd *= lr
            param -= upd
        else:
            param -= lr * v
