"""Early stopping on a monitored loss (lower is better)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .spec import SpecReader


class EarlyStopping:
    """Stops after ``patience`` epochs without improving by more than ``min_delta``.

    Keeps a copy of the best weights when ``restore_best``.
    """

    def __init__(self, patience: int, min_delta: float = 0.0, restore_best: bool = True) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best = restore_best
        self.best = math.inf
        self.best_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None
        self.wait = 0

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> EarlyStopping:
        r = SpecReader(spec, None, None, prefix="early_stopping: ")
        r.check_keys(("patience", "min_delta", "restore_best"))
        return cls(
            r.positive_int("patience"),
            r.number("min_delta", 0.0, low=0.0),
            r.boolean("restore_best", True),
        )

    def update(self, epoch: int, value: float, weights: Any) -> bool:
        """Record an epoch's monitored value; returns True when training should stop.

        ``weights`` is a zero-argument callable returning a weight snapshot (only called
        on improvement)."""
        if value < self.best - self.min_delta:
            self.best = value
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best:
                self.best_weights = weights()
            return False
        self.wait += 1
        return self.wait >= self.patience

    def state_dict(self) -> dict[str, Any]:
        """best, best_epoch, wait and best_weights (the live dict, not copied)."""
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        self.best = float(d.get("best", math.inf))
        self.best_epoch = d.get("best_epoch")
        self.wait = int(d.get("wait", 0))
        bw = d.get("best_weights")
        self.best_weights = {k: np.array(v) for k, v in bw.items()} if bw is not None else None
