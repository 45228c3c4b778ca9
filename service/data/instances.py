"""Validation of prediction inputs (the predict endpoint's ``instances``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from service.data.errors import DatasetError
from service.data.values import number_problem, show


def format_instances(instances: list, input_shape: int | tuple[int, ...]) -> np.ndarray:
    """Validate M rows -> float32 (M, *input_shape).

    Each row is either flat (the F = prod(input_shape) features in the dataset's order) or,
    for images and sequences, nested in the input's shape (e.g. H lists of W lists of C
    numbers). bool, None, strings, NaN and inf are rejected; errors use 0-based paths such
    as "instances[2]: expected 4 features, got 3" or "instances[0][5][1]: not a number"
    and set DatasetError.row to the row index.
    """
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    n_features = math.prod(shape)
    if not isinstance(instances, (list, tuple)):
        raise DatasetError(f"instances must be a list of rows, got {show(instances)}")
    if len(instances) == 0:
        raise DatasetError("instances must not be empty")
    any_nested = False
    for i, row in enumerate(instances):
        if not isinstance(row, (list, tuple)):
            raise DatasetError(
                f"instances[{i}]: expected a list of {n_features} numbers, got {show(row)}", row=i
            )
        nested = len(shape) > 1 and len(row) == shape[0] and isinstance(_first(row), list)
        if nested:
            _check_nested(row, shape, f"instances[{i}]", i)
            any_nested = True
            continue
        if len(row) != n_features:
            raise DatasetError(f"instances[{i}]: {_expected(shape)}, got {len(row)}", row=i)
        for j, value in enumerate(row):
            problem = number_problem(value)
            if problem:
                raise DatasetError(f"instances[{i}][{j}]: {problem}", row=i)
    if not any_nested:  # one conversion for the common, flat case
        X = np.asarray(instances, dtype=np.float64).reshape(len(instances), n_features)
        return X.astype(np.float32).reshape((len(instances), *shape))
    X = np.empty((len(instances), n_features), dtype=np.float32)
    for i, row in enumerate(instances):
        X[i] = np.asarray(row, dtype=np.float64).reshape(n_features)
    return X.reshape((len(instances), *shape))


def _first(row: list | tuple) -> Any:
    return row[0] if row else None


def _expected(shape: tuple[int, ...]) -> str:
    n = math.prod(shape)
    if len(shape) == 1:
        return f"expected {n} features"
    dims = " x ".join(str(d) for d in shape)
    return f"expected {n} features (flat) or nested lists of shape {dims}"


def _check_nested(value: Any, shape: tuple[int, ...], path: str, row: int) -> None:
    """Raise DatasetError at the first place where ``value`` is not an array of ``shape``."""
    if not shape:
        problem = number_problem(value)
        if problem:
            raise DatasetError(f"{path}: {problem}", row=row)
        return
    if not isinstance(value, (list, tuple)) or len(value) != shape[0]:
        got = f"{len(value)} items" if isinstance(value, (list, tuple)) else show(value)
        dims = " x ".join(str(d) for d in shape)
        raise DatasetError(f"{path}: expected a list of shape {dims}, got {got}", row=row)
    for k, item in enumerate(value):
        _check_nested(item, shape[1:], f"{path}[{k}]", row)
