"""Validation of prediction inputs (the predict endpoint's ``instances``)."""

from __future__ import annotations

import numpy as np

from service.data.errors import DatasetError
from service.data.values import number_problem, show


def format_instances(instances: list, n_features: int) -> np.ndarray:
    """Validate M rows of ``n_features`` finite numbers each -> float32 (M, F).

    bool, None, strings, NaN and inf are rejected; errors use 0-based paths such as
    "instances[2]: expected 4 features, got 3" and set DatasetError.row to that index.
    """
    if not isinstance(instances, (list, tuple)):
        raise DatasetError(f"instances must be a list of rows, got {show(instances)}")
    if len(instances) == 0:
        raise DatasetError("instances must not be empty")
    for i, row in enumerate(instances):
        if not isinstance(row, (list, tuple)):
            raise DatasetError(
                f"instances[{i}]: expected a list of {n_features} numbers, got {show(row)}", row=i
            )
        if len(row) != n_features:
            raise DatasetError(
                f"instances[{i}]: expected {n_features} features, got {len(row)}", row=i
            )
        for j, value in enumerate(row):
            problem = number_problem(value)
            if problem:
                raise DatasetError(f"instances[{i}][{j}]: {problem}", row=i)
    return (
        np.asarray(instances, dtype=np.float64)
        .reshape(len(instances), n_features)
        .astype(np.float32)
    )
