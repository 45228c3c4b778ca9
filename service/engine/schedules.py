"""Per-epoch learning-rate schedules with optional linear warmup.

``lr_for(epoch)`` gives the rate for a 1-based epoch; ``fit`` sets it on the optimizer
before the epoch starts. During the first ``warmup_epochs`` epochs the rate ramps linearly:
``base * e / (warmup_epochs + 1)``. After warmup, with ``k = epoch - warmup_epochs - 1``:

- step:        ``base * gamma ** (k // step_size)``
- exponential: ``base * gamma ** k``
- cosine:      ``min_lr + (base - min_lr) * (1 + cos(pi * k / T)) / 2``, T = epochs - warmup
- warmup:      ``base`` (linear warmup, then constant)
- reduce_on_plateau: ``max(base * factor ** r, min_lr)`` where r counts the times the
  monitored loss (val_loss, else train loss) failed to improve by ``min_delta`` for
  ``patience`` epochs in a row (``end_epoch`` feeds it; only its state needs saving).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import SpecError
from .spec import SpecReader

SCHEDULE_COMMON_KEYS: tuple[str, ...] = ("warmup_epochs",)
"""Spec keys every schedule accepts besides "type"."""
SCHEDULE_KEYS: dict[str, tuple[str, ...]] = {
    "step": ("step_size", "gamma"),
    "exponential": ("gamma",),
    "cosine": ("min_lr",),
    "warmup": (),
    "reduce_on_plateau": ("factor", "patience", "min_delta", "min_lr"),
}
"""Schedule types and the spec keys each accepts besides "type" and SCHEDULE_COMMON_KEYS."""


class Schedule:
    """A built schedule for a base rate and a total number of epochs."""

    def __init__(self, spec: Mapping[str, Any], base_lr: float, epochs: int) -> None:
        kind = spec.get("type") if isinstance(spec, Mapping) else None
        if not isinstance(kind, str) or kind not in SCHEDULE_KEYS:
            raise SpecError(
                f"lr_schedule: unknown type {kind!r}; expected one of {', '.join(SCHEDULE_KEYS)}"
            )
        r = SpecReader(spec, None, None, prefix=f"lr_schedule ({kind}): ")
        r.check_keys((*SCHEDULE_COMMON_KEYS, *SCHEDULE_KEYS[kind]))
        self.kind = kind
        self.base = float(base_lr)
        self.epochs = int(epochs)
        self.warmup = int(r.number("warmup_epochs", 0, low=0))
        if self.warmup != r.spec.get("warmup_epochs", 0):
            raise r.error("warmup_epochs must be a whole number")
        self.step_size = r.positive_int("step_size", 10) if kind == "step" else 1
        default_gamma = 0.1 if kind == "step" else 0.95
        self.gamma = r.number("gamma", default_gamma, low=0.0, high=1.0, low_inclusive=False)
        self.min_lr = r.number("min_lr", 0.0, low=0.0)
        self.factor = r.number(
            "factor", 0.1, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
        )
        self.patience = r.positive_int("patience", 5) if kind == "reduce_on_plateau" else 1
        self.min_delta = r.number("min_delta", 0.0, low=0.0)
        # reduce_on_plateau state
        self.best = math.inf
        self.wait = 0
        self.reductions = 0

    def lr_for(self, epoch: int) -> float:
        """Learning rate for the 1-based ``epoch``."""
        if epoch <= self.warmup:
            return self.base * epoch / (self.warmup + 1)
        k = epoch - self.warmup - 1
        if self.kind == "step":
            return self.base * self.gamma ** (k // self.step_size)
        if self.kind == "exponential":
            return self.base * self.gamma**k
        if self.kind == "cosine":
            span = max(self.epochs - self.warmup, 1)
            cos = 0.5 * (1 + math.cos(math.pi * k / span))
            return self.min_lr + (self.base - self.min_lr) * cos
        if self.kind == "reduce_on_plateau":
            return max(self.base * self.factor**self.reductions, self.min_lr)
        return self.base

    def end_epoch(self, epoch: int, monitored: float) -> None:
        """Feed the epoch's monitored loss (used by reduce_on_plateau after warmup)."""
        if self.kind != "reduce_on_plateau" or epoch <= self.warmup:
            return
        if monitored < self.best - self.min_delta:
            self.best, self.wait = monitored, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.reductions += 1
            self.wait = 0

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (``best`` is None while infinite)."""
        best = None if math.isinf(self.best) else self.best
        return {"best": best, "wait": self.wait, "reductions": self.reductions}

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        self.best = math.inf if d.get("best") is None else float(d["best"])
        self.wait = int(d.get("wait", 0))
        self.reductions = int(d.get("reductions", 0))
