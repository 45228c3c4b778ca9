"""RMSprop, Adagrad and AdamW (Adam with decoupled weight decay), PyTorch's update rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import SpecReader
from .adam import Adam
from .base import Optimizer


class RMSprop(Optimizer):
    """``v = rho v + (1 - rho) g^2``; ``p -= lr * g / (sqrt(v) + eps)``."""

    type_name = "rmsprop"
    spec_keys = ("learning_rate", "rho", "epsilon")
    slots = ("v",)

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    @classmethod
    def _from_reader(cls, r: SpecReader) -> RMSprop:
        return cls(
            r.number("learning_rate", 0.001, low=0.0, low_inclusive=False),
            r.number("rho", 0.9, low=0.0, high=1.0, high_inclusive=False),
            r.number("epsilon", 1e-7, low=0.0, low_inclusive=False),
        )

    def config(self) -> dict[str, Any]:
        return {**super().config(), "rho": self.rho, "epsilon": self.epsilon}

    def _update(
        self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        v = state["v"]
        v *= self.rho
        buf = np.square(grad)
        buf *= 1.0 - self.rho
        v += buf
        _scaled_step(param, grad, v, buf, self.epsilon, self.learning_rate)


class Adagrad(Optimizer):
    """``s += g^2``; ``p -= lr * g / (sqrt(s) + eps)``."""

    type_name = "adagrad"
    spec_keys = ("learning_rate", "epsilon")
    slots = ("sum",)

    def __init__(self, learning_rate: float = 0.01, epsilon: float = 1e-10):
        super().__init__(learning_rate)
        self.epsilon = float(epsilon)

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Adagrad:
        return cls(
            r.number("learning_rate", 0.01, low=0.0, low_inclusive=False),
            r.number("epsilon", 1e-10, low=0.0, low_inclusive=False),
        )

    def config(self) -> dict[str, Any]:
        return {**super().config(), "epsilon": self.epsilon}

    def _update(
        self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        s = state["sum"]
        buf = np.square(grad)
        s += buf
        _scaled_step(param, grad, s, buf, self.epsilon, self.learning_rate)


class AdamW(Adam):
    """Adam plus decoupled weight decay applied first: ``p *= 1 - lr * weight_decay`` (on
    weights only when ``decay_limits`` is set, as ``fit`` does), then the Adam step."""

    type_name = "adamw"
    spec_keys = (*Adam.spec_keys, "weight_decay")

    def __init__(self, *, weight_decay: float = 0.01, **adam_options: float) -> None:
        """``adam_options``: Adam's learning_rate, beta1, beta2 and epsilon (same defaults)."""
        super().__init__(**adam_options)
        self.weight_decay = float(weight_decay)

    @classmethod
    def _read_options(cls, r: SpecReader) -> dict[str, float]:
        return {**super()._read_options(r), "weight_decay": r.number("weight_decay", 0.01, low=0.0)}

    def config(self) -> dict[str, Any]:
        return {**super().config(), "weight_decay": self.weight_decay}

    def _update(
        self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        if self.weight_decay:
            self.decayed(name, param)[...] *= 1.0 - self.learning_rate * self.weight_decay
        super()._update(name, param, grad, state)


def _scaled_step(
    param: np.ndarray, grad: np.ndarray, acc: np.ndarray, buf: np.ndarray, eps: float, lr: float
) -> None:
    """param -= lr * grad / (sqrt(acc) + eps), in place through the work array `buf`."""
    np.sqrt(acc, out=buf)
    buf += eps
    np.divide(grad, buf, out=buf)
    buf *= lr
    param -= buf
