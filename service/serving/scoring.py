"""A model's network outputs -> the evaluation metrics of its task, a chunk at a time.

Used by evaluate (a stored data set against a model) and by the training job (the
validation split of a new model), so both report the same metrics the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from service.data import TargetScaler
from service.serving.metrics import ClassificationScores, RegressionScores, class_probabilities


class Scorer:
    """Accumulates metrics for a classifier over `classes` (labels in class-index order),
    or for a regression model whose outputs are scaled by `target_scaler`."""

    def __init__(
        self, task: str, classes: list[Any] | None, target_scaler: TargetScaler | None = None
    ) -> None:
        self.task, self.classes, self.target_scaler = task, list(classes or []), target_scaler
        self.scores: ClassificationScores | RegressionScores
        if task == "classification":
            self.scores = ClassificationScores(len(self.classes))
        else:
            self.scores = RegressionScores()

    def add(self, out: np.ndarray, y: np.ndarray) -> None:
        """Network outputs for n rows ((n, C) probabilities, (n, 1) sigmoid or scaled
        values) and their truths ((n,) class indices, or values in the target's units)."""
        if isinstance(self.scores, ClassificationScores):
            self.scores.update(class_probabilities(out), y)
            return
        values = self.target_scaler.inverse_transform(out) if self.target_scaler else out
        self.scores.update(np.asarray(values).reshape(len(y), -1)[:, 0], y)

    @property
    def objective_name(self) -> str:
        """The metric permutation importance is measured in (higher is better)."""
        return "accuracy" if self.task == "classification" else "r2"

    def objective(self) -> float:
        if isinstance(self.scores, ClassificationScores):
            return self.scores.accuracy()
        return self.scores.r2()

    def result(self) -> dict[str, Any]:
        if isinstance(self.scores, ClassificationScores):
            return self.scores.result(self.classes)
        return self.scores.result()
