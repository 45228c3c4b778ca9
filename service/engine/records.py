"""What :func:`~service.engine.training.fit` reports: one :class:`EpochRecord` per epoch and
the run's :class:`FitResult`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class EpochRecord:
    """Summary of one epoch. ``epoch`` is 1-based; ``seconds`` is the epoch's wall time
    (including validation); ``samples_per_second`` is training throughput."""

    epoch: int
    loss: float
    val_loss: float | None
    metrics: dict[str, float]
    seconds: float
    samples_per_second: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FitResult:
    """``stopped`` is "cancelled", "early_stopping" or None (ran all epochs).

    ``best_epoch`` is the epoch with the lowest monitored loss (val_loss, else train loss)
    when early stopping is configured (with ``restore_best`` the network holds that epoch's
    weights on return); ``None`` without early stopping."""

    history: list[EpochRecord] = field(default_factory=list)
    stopped: str | None = None
    best_epoch: int | None = None
    restored_epoch: int | None = None
    """The epoch whose weights the network holds when restore_best put them back."""
