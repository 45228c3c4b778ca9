"""Adam (Kingma & Ba) with bias correction.

``m = b1 m + (1-b1) g``; ``v = b2 v + (1-b2) g^2``;
``p -= lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1-b1^t)``,
``v_hat = v / (1-b2^t)``.

The state holds the moments without their (1 - b) factors, ``m_sum = m / (1 - b1)`` and
``v_sum = v / (1 - b2)`` (``m_sum = b1 m_sum + g``: two passes over the parameters instead
of three, likewise for v); the factors are folded into the step's scalars. A state saved
with the moments themselves (slots "m" and "v", before this form) still loads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..spec import SpecReader
from .base import Optimizer


class Adam(Optimizer):
    type_name = "adam"
    spec_keys = ("learning_rate", "beta1", "beta2", "epsilon")
    slots = ("m_sum", "v_sum")

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

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        """Also takes a state with the moments themselves ("m/<name>", "v/<name>")."""
        legacy = {"m": 1.0 - self.beta1, "v": 1.0 - self.beta2}
        state: dict[str, Any] = {}
        for key, value in d.items():
            slot, sep, pname = key.partition("/")
            if sep and slot in legacy:
                key, value = f"{slot}_sum/{pname}", np.asarray(value) / legacy[slot]
            state[key] = value
        super().load_state_dict(state)

    def _update(
        self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        m, v = state["m_sum"], state["v_sum"]
        buf = self._scratch.get(name)
        if buf is None or buf.shape != param.shape or buf.dtype != param.dtype:
            buf = self._scratch[name] = np.empty_like(param)
        t = self.step_count
        bc1 = 1.0 - self.beta1**t
        s2 = math.sqrt(1.0 - self.beta2**t)
        c2 = math.sqrt(1.0 - self.beta2)
        # 10 passes over the parameters (memory-bound; the sqrt pass costs about three of
        # the others): m_sum = b1 m_sum + g, v_sum = b2 v_sum + g^2, then
        # p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps)
        #    == (lr sqrt(bc2) (1 - b1) / (bc1 c2)) m_sum / (sqrt(v_sum) + eps sqrt(bc2) / c2)
        # with c2 = sqrt(1 - b2), since sqrt(v) = c2 sqrt(v_sum)
        m *= self.beta1
        m += grad
        v *= self.beta2
        np.square(grad, out=buf)
        v += buf
        np.sqrt(v, out=buf)
        buf += self.epsilon * s2 / c2
        np.divide(m, buf, out=buf)
        buf *= self.learning_rate * s2 * (1.0 - self.beta1) / (bc1 * c2)
        param -= buf
