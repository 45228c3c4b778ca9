"""Batch scoring: a stored data set scored by a model, a chunk of rows at a time, as CSV.

Each CSV row holds the data set's columns as uploaded (the text of each categorical level,
numbers as stored, an empty cell for a gap), its target, the model's `prediction` and, for
a classifier, one `p(<class>)` column per class: the same values POST /predict answers for
that row. The data set's columns are read in the model's terms by name
(service.serving.dataset_input), so its own column order and level codes do not matter.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.data.columns import CATEGORICAL, Column, columns_from_json
from service.data.encoding import TableEncoding
from service.data.errors import DatasetError
from service.data.values import show
from service.serving.dataset_input import DatasetInput
from service.serving.model import LoadedModel
from service.serving.predict import Prediction, predict_arrays


@dataclass(frozen=True)
class ScoringSource:
    """What scoring needs to know of a stored data set (a Dataset row): one row's shape,
    its table columns (None: all numeric), names, target, task and class labels."""

    input_shape: tuple[int, ...]
    columns: list[Column] | None
    feature_names: list[str]
    target: str
    task: str
    classes: list[Any] | None

    @classmethod
    def of(cls, row: Any) -> ScoringSource:
        return cls(
            tuple(int(d) for d in row.input_shape),
            columns_from_json(row.columns),
            list(row.feature_names or []),
            str(row.target),
            str(row.task),
            row.classes,
        )


class BatchScorer:
    """Scores chunks (n rows) of a data set's stored X and y with `model`.

    Built before a run is queued, so a data set the model cannot read is a DatasetError
    (a 422) naming what is wrong: a model column it lacks, a category in a numeric column,
    or rows of another shape.
    """

    def __init__(self, model: LoadedModel, source: ScoringSource) -> None:
        self.model, self.source = model, source
        self.reader: DatasetInput | None = None
        shape = source.input_shape
        if model.encoding is not None:
            n_features = shape[0] if len(shape) == 1 else -1
            self.reader = DatasetInput.build(source.columns, n_features, model.encoding)
            _check_gaps(model.encoding, source.columns or [])
        else:
            if shape != tuple(model.input_shape):
                raise DatasetError(
                    f"the data set's rows have shape {list(shape)}, the model takes "
                    f"{list(model.input_shape)}"
                )
            if any(c.kind == CATEGORICAL for c in source.columns or []):
                raise DatasetError("the model takes numbers only; the data set has categories")

    def header(self) -> list[str]:
        """Original columns (2-D data; a `row` number otherwise), target, prediction, p()."""
        src = self.source
        if len(src.input_shape) == 1:
            names = src.feature_names or [f"x{k}" for k in range(src.input_shape[0])]
        else:
            names = ["row"]
        out = [*names, src.target, "prediction"]
        if self.model.task != "regression":
            out += [f"p({label})" for label in self.model.classes or []]
        return out

    def seed_warnings(self, warnings: list[dict[str, Any]]) -> None:
        """Carry the unseen-level counts of chunks an earlier attempt stored."""
        if self.reader is not None:
            self.reader.unseen = Counter({(w["column"], w["value"]): w["rows"] for w in warnings})

    def warnings(self) -> list[dict[str, Any]]:
        """Levels the model has not seen: {"column", "value", "rows"}, most rows first."""
        return self.reader.warnings() if self.reader is not None else []

    def outputs(self, X: np.ndarray) -> Prediction:
        """Predictions (and class probabilities) for stored rows X (n, ...), as /predict."""
        model = self.model
        if self.reader is not None and model.encoding is not None:
            X = model.encoding.transform(self.reader.convert(X))
        return predict_arrays(model, np.asarray(X, dtype=np.float32))

    def chunk_csv(self, X: np.ndarray, y: np.ndarray, first_row: int, header: bool) -> bytes:
        """CSV text (UTF-8) of rows first_row .. first_row + n (X, y: those rows)."""
        scored = self.outputs(X)
        columns = [*self._original(X, first_row), self._target(y)]
        columns.append([_value_text(v) for v in scored.predictions.tolist()])
        if scored.probabilities is not None:
            probs = scored.probabilities.tolist()
            columns += [
                [repr(row[c]) for row in probs] for c in range(len(probs[0]) if probs else 0)
            ]
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        if header:
            writer.writerow(self.header())
        writer.writerows(zip(*columns, strict=True))
        return text.getvalue().encode()

    def _original(self, X: np.ndarray, first_row: int) -> list[list[str]]:
        if X.ndim != 2:
            return [[str(first_row + i) for i in range(len(X))]]
        kinds = self.source.columns
        out = []
        for k in range(X.shape[1]):
            values = np.asarray(X[:, k], dtype=np.float32)
            if kinds is not None and kinds[k].kind == CATEGORICAL:
                levels = kinds[k].levels or ()
                out.append([_level(levels, v) for v in values])
            else:
                out.append([number_text(v) for v in values])
        return out

    def _target(self, y: np.ndarray) -> list[str]:
        classes = self.source.classes
        if self.source.task == "classification" and classes:
            return [_value_text(classes[int(i)]) for i in y]
        return [number_text(np.float32(v)) for v in y]


def _check_gaps(encoding: TableEncoding, columns: list[Column]) -> None:
    """DatasetError for a numeric model column without a fill value whose data set column
    has gaps (the model could not score those rows)."""
    missing = {c.name: c.missing for c in columns}
    for column, fill in zip(encoding.columns, encoding.fill, strict=True):
        if column.kind != CATEGORICAL and fill is None and missing.get(column.name, 0) > 0:
            raise DatasetError(
                f"column {show(column.name)} has {missing[column.name]} missing values, and the "
                "model has no value to impute them with (its data set was uploaded without "
                "impute)",
                column=column.name,
            )


def number_text(value: np.float32) -> str:
    """A stored float32 as CSV text: its shortest round-trip form, integral values without
    ".0" (7.4 -> "7.4", 3.0 -> "3"), a gap (NaN) as an empty cell."""
    if np.isnan(value):
        return ""
    text = str(np.float32(value))
    return text[:-2] if text.endswith(".0") else text


def _level(levels: tuple[str | None, ...], code: np.float32) -> str:
    index = int(code)
    level = levels[index] if 0 <= index < len(levels) else None
    return "" if level is None else level


def _value_text(value: Any) -> str:
    """A label or predicted value as CSV text (floats in full precision)."""
    if isinstance(value, float):
        return repr(value)
    return str(value)
