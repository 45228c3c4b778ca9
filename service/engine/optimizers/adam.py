"""Adam (Kingma & Ba) with bias correction.

``m = b1 m + (1-b1) g``; ``v = b2 v + (1-b2) g^2``;
``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1-b1^t)``,
``v_hat = v / (1-b2^t)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..spec import SpecReader
from .base import Optimizer


class Adam(Optimizer):
    type_name = "adam"
    spec_keys = ("learning_rate", "beta1", "beta2", "epsilon")
    slots = ("m", "v")

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        super().__init__(learning_rate)
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.epsilon = float(epsilon)
        self._scratch: dict[str, np.ndarray] = {}

    @classmethod
    def _read_options(cls, r: SpecReader) -> dict[str, float]:
        """The constructor's keyword arguments from a spec, checked (AdamW adds its own)."""
        return {
            "learning_rate": r.number("learning_rate", 0.001, low=0.0, low_inclusive=False),
            "beta1": r.number("beta1", 0.9, low=0.0, high=1.0, high_inclusive=False),
            "beta2": r.number("beta2", 0.999, low=0.0, high=1.0, high_inclusive=False),
            "epsilon": r.number("epsilon", 1e-8, low=0.0, low_inclusive=False),
        }

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Adam:
        return cls(**cls._read_options(r))

    def config(self) -> dict[str, Any]:
        return {
            **super().config(),
            "beta1": self.beta1,
            "beta2": self.beta2,
            "epsilon": self.epsilon,
        }

    def _update(
        self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        m, v = state["m"], state["v"]
        buf = self._scratch.get(name)
        if buf is None or buf.shape != param.shape or buf.dtype != param.dtype:
            buf = self._scratch[name] = np.empty_like(param)
        t = self.step_count
        bc1 = 1.0 - self.beta1**t
        s2 = math.sqrt(1.0 - self.beta2**t)
        # 12 passes over the parameters, 9 of them in place on two operands (memory-bound;
        # the sqrt pass costs about three of the others):
        # m = b1 (m - g) + g   [== b1 m + (1 - b1) g]
        m -= grad
        m *= self.beta1
        m += grad
        # v = b2 (v - g^2) + g^2   [== b2 v + (1 - b2) g^2]
        np.square(grad, out=buf)
        v -= buf
        v *= self.beta2
        v += buf
        # p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps)
        #    == (lr sqrt(bc2) / bc1) m / (sqrt(v) + eps sqrt(bc2))
        np.sqrt(v, out=buf)
        buf += self.epsilon * s2
        np.divide(m, buf, out=buf)
        buf *= self.learning_rate * s2 / bc1
        param -= buf
