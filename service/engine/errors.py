"""Exceptions raised by the engine."""

from __future__ import annotations

import math


class SpecError(ValueError):
    """Invalid network / optimizer / training specification.

    ``layer_index`` is the 0-based index into the layer spec list, or ``None`` when the
    problem is not tied to one layer (optimizer, loss, input shape, ...).
    """

    def __init__(
        self, message: str, layer_index: int | None = None, layer_type: str | None = None
    ) -> None:
        self.message = message
        self.layer_index = layer_index
        self.layer_type = layer_type
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.layer_index is None:
            return self.message
        kind = f" ({self.layer_type})" if self.layer_type else ""
        return f"layer {self.layer_index}{kind}: {self.message}"


class TrainingDiverged(RuntimeError):
    """The training or validation loss became NaN or infinite.

    ``epoch`` is the 1-based epoch in which it happened; ``history`` holds the epochs
    completed before it.
    """

    def __init__(self, epoch: int, loss: float = math.nan, history: list | None = None) -> None:
        self.epoch = epoch
        self.loss = loss
        self.history = history if history is not None else []
        what = "nan" if math.isnan(loss) else "inf"
        super().__init__(f"diverged at epoch {epoch}: loss is {what}; try a lower learning rate")
