"""Label encoding: decide classification vs regression and map labels to arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.data.errors import DatasetError
from service.data.values import is_number, show

TASKS = ("classification", "regression")
MAX_AUTO_CLASSES = 50


@dataclass
class EncodedTarget:
    """task: "classification" or "regression".
    y: int64 class indices (N,) for classification, float32 (N,) for regression.
    classes: sorted original labels (str, int, or float for non-integral numbers) for
    classification, None for regression.
    """

    task: str
    y: np.ndarray
    classes: list | None


def encode_target(y_raw: list | np.ndarray, task: str | None = None) -> EncodedTarget:
    """Encode N labels (a list or 1-D array).

    With task=None: any string label -> classification; all values integral with at most
    50 distinct values and at most N/2 distinct -> classification; otherwise regression.
    Raises DatasetError (locating values as 0-based ``y[i]``) for invalid labels or a task
    the labels can't fit."""
    if task is not None and task not in TASKS:
        raise DatasetError(f"task must be 'classification' or 'regression', got {show(task)}")
    labels = _as_labels(y_raw)
    if not labels:
        raise DatasetError("the target has no values")
    if isinstance(labels[0], str):
        if task == "regression":
            bad = next((v for v in labels if not _is_float_text(v)), labels[0])
            raise DatasetError(
                f"regression needs a numeric target, but the labels are strings (e.g. {show(bad)})"
            )
        return _classify(labels)
    values = np.asarray(labels, dtype=np.float64)
    if task is None:
        task = _infer_task(values)
    if task == "classification":
        return _classify(labels)
    return _regress(values)


def _as_labels(y_raw: list | np.ndarray) -> list:
    """Plain Python labels, all str or all finite numbers (bool and None rejected)."""
    if isinstance(y_raw, np.ndarray):
        if y_raw.ndim == 2 and y_raw.shape[1] == 1:
            y_raw = y_raw[:, 0]
        if y_raw.ndim != 1:
            raise DatasetError(f"the target must be 1-D, got shape {y_raw.shape}")
        if y_raw.dtype.kind == "b":
            y_raw = y_raw.astype(np.int64)
        if y_raw.dtype.kind not in "iufUO":
            raise DatasetError(f"unsupported target dtype {y_raw.dtype}")
    labels = [v.item() if isinstance(v, np.generic) else v for v in y_raw]
    strings = sum(isinstance(v, str) for v in labels)
    for i, v in enumerate(labels):
        if isinstance(v, str):
            continue
        if not is_number(v):
            raise DatasetError(f"y[{i}]: {show(v)} is not a valid label", row=i)
        if isinstance(v, int) and not -(2**63) <= v < 2**63:
            raise DatasetError(f"y[{i}]: {show(v)} is out of range for a label", row=i)
        if not np.isfinite(v):
            raise DatasetError(f"y[{i}]: {str(float(v)).lower()} is not allowed", row=i)
    if 0 < strings < len(labels):
        i = next(i for i, v in enumerate(labels) if not isinstance(v, str))
        raise DatasetError(
            f"the target mixes strings and numbers (y[{i}] is {show(labels[i])}); "
            "use one type for all labels",
            row=i,
        )
    return labels


def _is_float_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _infer_task(values: np.ndarray) -> str:
    integral = bool(np.all(values == np.round(values)))
    distinct = len(np.unique(values))
    if integral and distinct <= MAX_AUTO_CLASSES and distinct <= len(values) / 2:
        return "classification"
    return "regression"


def _classify(labels: list) -> EncodedTarget:
    """Sorted classes and int64 indices; integral numbers become int classes."""
    if isinstance(labels[0], str):
        keys = labels
    else:
        keys = [int(v) if float(v).is_integer() else float(v) for v in labels]
    classes = sorted(set(keys))
    if len(classes) < 2:
        raise DatasetError(
            f"classification needs at least 2 classes, found only {show(classes[0])}"
        )
    index = {c: i for i, c in enumerate(classes)}
    y = np.fromiter((index[k] for k in keys), dtype=np.int64, count=len(keys))
    return EncodedTarget(task="classification", y=y, classes=classes)


def _regress(values: np.ndarray) -> EncodedTarget:
    """Finite float64 values -> float32; values beyond float32 range are rejected."""
    big = np.abs(values) > float(np.finfo(np.float32).max)
    if big.any():
        i = int(np.argmax(big))
        raise DatasetError(f"y[{i}]: {float(values[i])!r} is out of range for float32", row=i)
    return EncodedTarget(task="regression", y=values.astype(np.float32), classes=None)
