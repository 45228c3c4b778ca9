"""A stored data set's target in a model's terms: class indices into the MODEL's classes,
or numbers for a regression model.

Labels are matched by value (then by text, so 1 and "1" agree). A label the model does not
know is a 422 naming it and its row count (it cannot be scored: the model never predicts
it), as is a target of the other task (labels for a regression model; numbers that are not
all classes of a classifier).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from service.data.errors import DatasetError
from service.data.values import show


def model_targets(
    model_task: str,
    model_classes: list[Any] | None,
    task: str,
    classes: list[Any] | None,
    y: np.ndarray,
    target: str,
) -> np.ndarray:
    """The data set's y ((N,) class ids into `classes`, or values) -> (N,) int64 indices
    into `model_classes`, or float64 values for a regression model."""
    y = np.asarray(y)
    if model_task == "regression":
        if task == "regression":
            return y.astype(np.float64)
        if all(isinstance(c, int | float) and not isinstance(c, bool) for c in classes or []):
            return np.asarray(classes, dtype=np.float64)[y]
        raise DatasetError(
            f"the model is a regression model, but the data set's target {show(target)} holds "
            f"labels (e.g. {show((classes or [''])[0])})",
            column=target,
        )
    if task == "classification":
        counts = np.bincount(y, minlength=len(classes or []))
        table = _class_table(model_classes or [], list(classes or []), counts, target)
        return table[y]
    distinct, inverse = np.unique(y, return_inverse=True)
    keys = [int(v) if float(v).is_integer() else float(v) for v in distinct]
    if not all(float(v).is_integer() for v in distinct) or len(distinct) > len(model_classes or []):
        raise DatasetError(
            f"the model is a classifier, but the data set's target {show(target)} holds "
            f"numbers for regression (e.g. {show(keys[0])}); upload it with task=classification",
            column=target,
        )
    table = _class_table(model_classes or [], keys, np.bincount(inverse.reshape(-1)), target)
    return table[inverse.reshape(-1)]


def _class_table(
    model_classes: list[Any], classes: list[Any], counts: np.ndarray, target: str
) -> np.ndarray:
    """(len(classes),) int64: each data set class's index among the model's classes."""
    exact = {_key(c): i for i, c in enumerate(model_classes)}
    text = {str(c): i for i, c in enumerate(model_classes)}
    table, unknown = [], []
    for k, label in enumerate(classes):
        index = exact.get(_key(label), text.get(str(label)))
        if index is None:
            unknown.append(f"{show(label)} ({int(counts[k])} rows)")
            index = -1
        table.append(index)
    if unknown:
        raise DatasetError(
            f"the data set's target {show(target)} has labels the model does not know: "
            f"{', '.join(unknown[:10])}; the model's classes are "
            f"{', '.join(show(c) for c in model_classes)}",
            column=target,
        )
    return np.asarray(table, dtype=np.int64)


def _key(label: Any) -> tuple[str, Any]:
    """Numbers compare by value (1 == 1.0), text by text."""
    if isinstance(label, int | float) and not isinstance(label, bool):
        return ("number", float(label))
    return ("text", label)
