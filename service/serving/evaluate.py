"""Score a model on a stored data set: metrics over every row, in chunks of CHUNK_ROWS
(memory bounded by the chunk, the metric accumulators and, for permutation importance, a
sample of at most IMPORTANCE_ROWS rows), whatever the data set's size.

The data set is read in the model's terms: its columns by name through the model's saved
encoding (service.serving.dataset_input), its labels as the model's classes
(service.serving.dataset_target).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.data.columns import Column, columns_from_json
from service.data.errors import DatasetError
from service.serving.dataset_input import DatasetInput
from service.serving.dataset_target import model_targets
from service.serving.model import LoadedModel
from service.serving.scoring import Scorer

CHUNK_ROWS = 8192
IMPORTANCE_ROWS = 20_000
IMPORTANCE_REPEATS = 3


@dataclass
class EvalData:
    """A stored data set: X (N, ...) as stored (a memory map for file-backed sets), y (N,)
    class ids into `classes` or values, and its table columns (None: all numeric)."""

    X: np.ndarray
    y: np.ndarray
    task: str
    classes: list[Any] | None
    target: str
    columns: list[Column] | None = None
    feature_names: list[str] | None = None

    @classmethod
    def of(cls, row: Any, arrays: dict[str, np.ndarray]) -> EvalData:
        """From a Dataset row and its arrays."""
        return cls(
            arrays["X"],
            arrays["y"],
            row.task,
            row.classes,
            row.target,
            columns_from_json(row.columns),
            list(row.feature_names or []),
        )


class ModelInput:
    """Data set rows -> the model's stored form (named columns) -> the network's input."""

    def __init__(self, model: LoadedModel, data: EvalData) -> None:
        self.model = model
        self.reader: DatasetInput | None = None
        if model.encoding is not None:
            n_features = data.X.shape[1] if data.X.ndim == 2 else -1
            self.reader = DatasetInput.build(data.columns, n_features, model.encoding)
            self.names = [c.name for c in model.encoding.columns]
        else:
            if tuple(data.X.shape[1:]) != tuple(model.input_shape):
                raise DatasetError(
                    f"the data set's rows have shape {list(data.X.shape[1:])}, the model takes "
                    f"{list(model.input_shape)}"
                )
            if any(c.kind != "numeric" for c in data.columns or []):
                raise DatasetError("the model takes numbers only; the data set has categories")
            names = data.feature_names or []
            width = data.X.shape[1] if data.X.ndim == 2 else 0
            self.names = names if len(names) == width else [f"x{k}" for k in range(width)]

    def stored(self, X: np.ndarray) -> np.ndarray:
        """(n, ...) data set rows -> (n, ...) the model's stored form."""
        if self.reader is None:
            return np.asarray(X, dtype=np.float32)
        return self.reader.convert(X)

    def outputs(self, stored: np.ndarray, first_row: int = 0) -> np.ndarray:
        """The network's outputs for rows in stored form (rows numbered from `first_row`
        in messages)."""
        X = stored
        if self.model.encoding is not None:
            try:
                X = self.model.encoding.transform(stored)
            except DatasetError as exc:
                raise DatasetError(f"data set rows from {first_row}: {exc}") from None
        return self.model.network.predict(self.model.standardizer.transform(X))

    def warnings(self) -> list[dict[str, Any]]:
        return self.reader.warnings() if self.reader is not None else []


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def evaluate(
    model: LoadedModel,
    data: EvalData,
    *,
    importance: bool = False,
    seed: int = 0,
    chunk_rows: int = CHUNK_ROWS,
) -> dict[str, Any]:
    """{"rows", "task", "metrics", "warnings"?, "importance"?} of `model` on `data`;
    DatasetError (a 422) naming the column or label that does not fit."""
    targets = model_targets(model.task, model.classes, data.task, data.classes, data.y, data.target)
    model_input = ModelInput(model, data)
    scorer = Scorer(model.task, model.classes, model.target_scaler)
    for part in _chunks(len(targets), chunk_rows):
        stored = model_input.stored(data.X[part])
        scorer.add(model_input.outputs(stored, part.start), targets[part])
    out: dict[str, Any] = {"rows": len(targets), "task": model.task, "metrics": scorer.result()}
    if model_input.warnings():
        out["warnings"] = model_input.warnings()
    if importance:
        out["importance"] = permutation_importance(model_input, data, targets, seed, chunk_rows)
    return out


def permutation_importance(
    model_input: ModelInput, data: EvalData, targets: np.ndarray, seed: int, chunk_rows: int
) -> dict[str, Any]:
    """Each column's drop in the objective (accuracy, or r2) when its stored values (a
    categorical column's level codes, so the column moves as a whole) are shuffled across
    rows, averaged over IMPORTANCE_REPEATS seeded shuffles, on a seeded sample of at most
    IMPORTANCE_ROWS rows. Columns come most important first."""
    if data.X.ndim != 2:
        raise DatasetError(
            "importance: permutation importance is for tables (rows of columns); this "
            f"data set's rows have shape {list(data.X.shape[1:])}"
        )
    rng = np.random.default_rng(seed)
    n = len(targets)
    rows = np.arange(n)
    if n > IMPORTANCE_ROWS:
        rows = np.sort(rng.choice(n, IMPORTANCE_ROWS, replace=False))
    stored = np.concatenate(
        [model_input.stored(data.X[rows[part]]) for part in _chunks(len(rows), chunk_rows)]
    )
    y = targets[rows]

    def objective() -> float:
        m = model_input.model
        scorer = Scorer(m.task, m.classes, m.target_scaler)
        for part in _chunks(len(rows), chunk_rows):
            scorer.add(model_input.outputs(stored[part]), y[part])
        return scorer.objective()

    baseline = objective()
    columns = []
    for k, name in enumerate(model_input.names):
        original = stored[:, k].copy()
        drops = []
        for _ in range(IMPORTANCE_REPEATS):
            stored[:, k] = original[rng.permutation(len(rows))]
            drops.append(baseline - objective())
        stored[:, k] = original
        columns.append(
            {"column": name, "importance": float(np.mean(drops)), "std": float(np.std(drops))}
        )
    columns.sort(key=lambda c: -c["importance"])
    metric = Scorer(model_input.model.task, model_input.model.classes).objective_name
    return {
        "metric": metric,
        "baseline": baseline,
        "rows": int(len(rows)),
        "repeats": IMPORTANCE_REPEATS,
        "columns": columns,
    }
