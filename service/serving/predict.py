"""Predictions from a loaded model for rows of features (or a table's records).

predict() answers plain Python lists; the HTTP route uses features() and predict_arrays()
and writes the arrays straight to JSON (service.serving.predict_http). Every answer is
checked before it is sent: a value JSON or float32 cannot hold is a DatasetError naming
the row, and an answer of more than `max_values` numbers is DatasetTooLarge (413).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.data import DatasetError, format_instances
from service.data.errors import DatasetTooLarge
from service.data.values import F32_MAX, fits_float32
from service.serving.model import LoadedModel
from service.serving.table_rows import needs_table_rows, table_rows


@dataclass
class Prediction:
    """predictions: (M,) float32 values or (M,) object labels; probabilities: (M, K)
    float64 rounded to 6 places for classifiers, else None."""

    predictions: np.ndarray
    probabilities: np.ndarray | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)


def features(model: LoadedModel, instances: list[Any]) -> tuple[np.ndarray, list[dict]]:
    """Validated float32 (M, *input_shape) features of JSON instances, and the warnings
    for table levels the model has not seen."""
    if model.encoding is not None and needs_table_rows(instances, model.encoding):
        rows = table_rows(instances, model.encoding, set(model.skipped))
        return model.encoding.transform(rows.X), rows.warnings
    return format_instances(instances, model.input_shape), []


def answer_size(model: LoadedModel, rows: int) -> int:
    """How many numbers the answer for `rows` rows holds (rows x outputs)."""
    outputs = math.prod(model.network.output_shape)
    if model.task == "classification":
        outputs = max(outputs, 2) + 1  # probabilities (a sigmoid unit gives 2) and a label
    return rows * outputs


def check_answer_size(model: LoadedModel, rows: int, max_values: int) -> None:
    """DatasetTooLarge (413) when the answer would hold more than `max_values` numbers."""
    size = answer_size(model, rows)
    if size > max_values:
        raise DatasetTooLarge(
            f"the answer would hold {size} values ({rows} rows x {size // rows} outputs); "
            f"the limit is {max_values} (BACKPROP_MAX_PREDICT_VALUES): send fewer rows "
            "per request"
        )


BLOCK_ROWS = 1024
"""Rows standardized and run through the network at a time (one reused input buffer)."""


class Forward:
    """The network's outputs for M rows that may arrive a block at a time: `run` takes the
    rows received so far and runs every whole block not yet run (the last, short block
    once all M rows are there); `prediction` checks and labels the outputs.

    With `checked=False` the rows may be of any numeric dtype and unchecked: each block is
    converted to float32 and a value that is not a finite float32 number is a DatasetError
    naming its row and column. The arithmetic is the standardizer's, bit for bit."""

    def __init__(self, model: LoadedModel, rows: int, checked: bool = True) -> None:
        self.model, self.rows, self.checked, self.done = model, rows, checked, 0
        shape = (min(rows, BLOCK_ROWS), *model.input_shape)
        self._z = np.empty(shape, np.float32)
        self._out: np.ndarray | None = None

    def run(self, X: np.ndarray) -> None:
        """Run the blocks of X (the first len(X) of the M rows, (n, *input_shape)) not yet run."""
        mean, std = self.model.standardizer.mean, self.model.standardizer.std
        while self.done < len(X) and (len(X) - self.done >= BLOCK_ROWS or len(X) == self.rows):
            start, stop = self.done, min(self.done + BLOCK_ROWS, len(X))
            z = self._z[: stop - start]
            with np.errstate(all="ignore"):  # overflows are reported per row
                np.subtract(X[start:stop], mean, out=z, dtype=np.float32)
                np.divide(z, std, out=z)
                if not self.checked and not fits_float32(z):
                    check_rows(X[start:stop], start)
                try:
                    y = self.model.network.predict(z)
                except ValueError as exc:  # inputs the network cannot take, e.g. token ids
                    raise DatasetError(f"instances: {exc}") from None
            if self._out is None:
                self._out = np.empty((self.rows, *y.shape[1:]), y.dtype)
            self._out[start:stop] = y
            self.done = stop

    def prediction(self, warnings: list[dict] | None = None) -> Prediction:
        """The checked answer once all M rows have run."""
        assert self.done == self.rows, "not every row has run"
        if self._out is None:  # no rows
            self._out = self.model.network.predict(self._z[:0])
        return _prediction(self.model, self._out.reshape(self.rows, -1), warnings or [])


def predict_arrays(
    model: LoadedModel, X: np.ndarray, warnings: list[dict] | None = None
) -> Prediction:
    """Run the network on float32 features X (M, *input_shape)."""
    forward = Forward(model, len(X))
    forward.run(X)
    return forward.prediction(warnings)


def _prediction(model: LoadedModel, out: np.ndarray, warnings: list[dict]) -> Prediction:
    """Labels and probabilities, or values in the target's units, of outputs (M, K)."""
    if model.task == "regression":
        values = out[:, 0].astype(np.float64)
        if model.target_scaler is not None:
            values = model.target_scaler.inverse_transform64(values[:, None])[:, 0]
        _check_values(values)
        return Prediction(values.astype(np.float32), None, warnings)
    if out.shape[1] == 1:  # one sigmoid unit: P(class 1)
        p1 = out[:, 0].astype(np.float64)
        probs = np.stack([1.0 - p1, p1], axis=1)
    else:
        probs = out.astype(np.float64)
    _check_values(probs)
    labels = np.empty(len(model.classes or ()), dtype=object)
    labels[:] = model.classes or []
    return Prediction(labels[probs.argmax(axis=1)], np.round(probs, 6), warnings)


def check_rows(X: np.ndarray, first: int) -> None:
    """DatasetError naming the first value of rows X (row `first` onwards) that is not a
    finite float32 number; nothing if every value is one."""
    flat = X.reshape(len(X), -1)
    with np.errstate(over="ignore", invalid="ignore"):
        bad = np.argwhere(~np.isfinite(flat.astype(np.float32)))
    if len(bad):
        row, col = int(bad[0][0]), int(bad[0][1])
        raise DatasetError(
            f"instances[{first + row}][{col}]: {str(flat[row, col]).lower()} "
            "is not a finite float32 number",
            row=first + row,
        )


def _check_values(values: np.ndarray) -> None:
    """DatasetError naming the first row whose answer is not a finite float32 number."""
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values) & (np.abs(values) <= F32_MAX)
    if ok.all():
        return
    bad = np.argwhere(~ok)[0]
    row, value = int(bad[0]), float(values[tuple(bad)])
    if math.isfinite(value):
        reason = f"the predicted value {value:.4g} is beyond float32's range (+-3.4e+38)"
    else:
        reason = "the model's output is not a finite number (inputs far from its training data?)"
    raise DatasetError(f"instances[{row}]: {reason}", row=row)


def predict(model: LoadedModel, instances: list[Any]) -> dict[str, Any]:
    """{"predictions": [...], "probabilities": [[...]]} (and "warnings") as plain lists."""
    X, warnings = features(model, instances)
    result = predict_arrays(model, X, warnings)
    out: dict[str, Any] = {"predictions": result.predictions.tolist()}
    if result.probabilities is not None:
        out["probabilities"] = result.probabilities.tolist()
    if result.warnings:
        out["warnings"] = result.warnings
    return out
