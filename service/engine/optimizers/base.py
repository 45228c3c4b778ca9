"""Optimizer base class with serialisable, per-parameter state.

An optimizer updates parameters in place: ``step(params, grads)`` where both are sequences of
``(name, array)`` pairs in the same order (as returned by ``Network.parameters()`` /
``Network.gradients()``). State is kept per parameter name in named slots (e.g. "m_sum",
"v_sum") and exported flat by ``state_dict()`` as ``{"step": int, "learning_rate": float,
"<slot>/<param name>": array}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from ..spec import SpecReader

Named = Sequence[tuple[str, np.ndarray]]


class Optimizer:
    """Base class. Subclasses define ``type_name``, ``slots``, ``_from_reader``, ``_update``."""

    type_name: ClassVar[str] = ""
    spec_keys: ClassVar[tuple[str, ...]] = ("learning_rate",)
    slots: ClassVar[tuple[str, ...]] = ()

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = float(learning_rate)
        #: the configured rate; schedules scale this, never the current (scheduled) one
        self.base_learning_rate = self.learning_rate
        self.step_count = 0
        self.state: dict[str, dict[str, np.ndarray]] = {}
        #: per parameter name: how many leading entries decoupled weight decay applies to
        #: (``fit`` sets it to ``Network.decay_size``); absent means the whole array
        self.decay_limits: dict[str, int] = {}

    def decayed(self, name: str, param: np.ndarray) -> np.ndarray:
        """The part of ``param`` (a view) that weight decay applies to."""
        limit = self.decay_limits.get(name)
        return param if limit is None else param[:limit]

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Optimizer:
        r = SpecReader(spec, None, None, prefix=f"optimizer ({cls.type_name}): ")
        r.check_keys(cls.spec_keys)
        return cls._from_reader(r)

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Optimizer:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {"type": self.type_name, "learning_rate": self.learning_rate}

    def _slots_for(self, name: str, param: np.ndarray) -> dict[str, np.ndarray]:
        st = self.state.get(name)
        if st is None:
            st = {slot: np.zeros_like(param) for slot in self.slots}
            self.state[name] = st
        return st

    def step(self, params: Named, grads: Named) -> None:
        """Apply one update to every parameter, in place."""
        self.step_count += 1
        for (name, p), (gname, g) in zip(params, grads, strict=True):
            if name != gname:
                raise ValueError(f"parameter/gradient mismatch: {name} vs {gname}")
            self._update(name, p, g, self._slots_for(name, p))

    def _update(
        self, name: str, param: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray | int | float]:
        """Flat, copy-based snapshot of the optimizer state."""
        out: dict[str, np.ndarray | int | float] = {
            "step": self.step_count,
            "learning_rate": self.learning_rate,
        }
        for pname, st in self.state.items():
            for slot, arr in st.items():
                out[f"{slot}/{pname}"] = arr.copy()
        return out

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        """Inverse of :meth:`state_dict`."""
        state: dict[str, dict[str, np.ndarray]] = {}
        for key, value in d.items():
            if key in ("step", "learning_rate"):
                continue
            slot, sep, pname = key.partition("/")
            if not sep or slot not in self.slots:
                raise ValueError(f"unexpected optimizer state key {key!r}")
            state.setdefault(pname, {})[slot] = np.array(value, copy=True)
        for pname, st in state.items():
            missing = set(self.slots) - set(st)
            if missing:
                raise ValueError(f"optimizer state for {pname!r} lacks {sorted(missing)}")
        self.step_count = int(d.get("step", 0))
        self.learning_rate = float(d.get("learning_rate", self.learning_rate))
        self.state = state
