"""Label encoding: decide classification vs regression and map labels to arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.data.errors import DatasetError
from service.data.values import F32_MAX, first_bad_text, is_float_text, is_number, show

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
    the labels can't fit. Numeric arrays are encoded without a Python object per label."""
    if task is not None and task not in TASKS:
        raise DatasetError(f"task must be 'classification' or 'regression', got {show(task)}")
    if isinstance(y_raw, np.ndarray) and y_raw.dtype.kind in "biuf":
        return _encode_numbers(_as_vector(y_raw), task)
    labels = _as_labels(y_raw)
    if not labels:
        raise DatasetError("the target has no values")
    if isinstance(labels[0], str):
        if task == "regression":
            bad = next((v for v in labels if not is_float_text(v)), labels[0])
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


def _as_vector(y: np.ndarray) -> np.ndarray:
    """A 1-D label array ((N, 1) squeezed, bool as int64)."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DatasetError(f"the target must be 1-D, got shape {y.shape}")
    return y.astype(np.int64) if y.dtype.kind == "b" else y


def _encode_numbers(y: np.ndarray, task: str | None) -> EncodedTarget:
    """encode_target for a 1-D int/uint/float array, vectorised (same rules as for lists)."""
    if len(y) == 0:
        raise DatasetError("the target has no values")
    if y.dtype.kind == "u" and y.max() >= 2**63:
        i = int(np.argmax(y >= 2**63))
        raise DatasetError(f"y[{i}]: {int(y[i])} is out of range for a label", row=i)
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        i = int(np.argmax(~np.isfinite(y)))
        raise DatasetError(f"y[{i}]: {str(float(y[i])).lower()} is not allowed", row=i)
    uniques = np.unique(y)
    if task is None:
        integral = y.dtype.kind != "f" or bool(np.all(uniques == np.round(uniques)))
        few = len(uniques) <= MAX_AUTO_CLASSES and len(uniques) <= len(y) / 2
        task = "classification" if integral and few else "regression"
    if task == "regression":
        return _regress(y)
    if len(uniques) < 2:
        raise DatasetError(
            f"classification needs at least 2 classes, found only {show(_key(uniques[0]))}"
        )
    index = np.searchsorted(uniques, y).astype(np.int64, copy=False)
    return EncodedTarget("classification", index, [_key(c) for c in uniques])


def _key(value: np.generic) -> int | float:
    """A class as JSON wants it: int when integral, else float."""
    number = value.item()
    return int(number) if float(number).is_integer() else number


def _as_labels(y_raw: list | np.ndarray) -> list:
    """Plain Python labels, all str (valid Unicode) or all finite numbers (bool and None
    rejected)."""
    if isinstance(y_raw, np.ndarray):
        y_raw = _as_vector(y_raw)
        if y_raw.dtype.kind not in "iufUO":
            raise DatasetError(f"unsupported target dtype {y_raw.dtype}")
    labels = y_raw
    if not isinstance(y_raw, list) or any(isinstance(v, np.generic) for v in y_raw):
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
    bad = first_bad_text(labels) if strings else None
    if bad:
        raise DatasetError(f"y[{bad[0]}]: {bad[1]}", row=bad[0])
    return labels


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
    """Finite numbers -> float32; values beyond float32 range are rejected."""
    big = np.abs(values) > F32_MAX if values.dtype.kind == "f" else None
    if big is not None and big.any():
        i = int(np.argmax(big))
        raise DatasetError(f"y[{i}]: {float(values[i])!r} is out of range for float32", row=i)
    return EncodedTarget(task="regression", y=values.astype(np.float32), classes=None)
