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
from service.serving.forward import forward
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


def predict_arrays(
    model: LoadedModel, X: np.ndarray, warnings: list[dict] | None = None, threads: int = 1
) -> Prediction:
    """Run the network on float32 features X (M, *input_shape), a big batch shared among
    up to `threads` threads (serving.forward)."""
    return prediction(model, forward(model, X, threads=threads), warnings)


def prediction(
    model: LoadedModel, out: np.ndarray, warnings: list[dict] | None = None
) -> Prediction:
    """Labels and probabilities, or values in the target's units, of the network's outputs
    (M, *output_shape), checked: a value JSON or float32 cannot hold names its row."""
    out = out.reshape(len(out), -1)
    warnings = warnings or []
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
    return Prediction(model.labels[probs.argmax(axis=1)], np.round(probs, 6), warnings)


def _check_values(values: np.ndarray) -> None:
    """DatasetError naming the first row whose answer is not a finite float32 number."""
    if fits_float32(values):
        return
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
