"""Predict instances for a model trained on a table: named records or flat rows -> the
stored form (numeric values, NaN gaps, level codes) that its TableEncoding encodes.

A record {"island": "Biscoe", "sex": null, ...} names its columns; a flat row lists the
dataset's feature columns in order, text allowed in categorical positions. An absent key
or null is a gap (the missing level of a categorical column; imputed for a numeric one, or
a 422 naming the column when the model has no value to impute with). Keys for the target
or a column the upload left out are ignored; any other key is a 422. A level the model has
not seen is encoded as no level and reported as a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.data.columns import CATEGORICAL
from service.data.csv_table import MISSING_LEVEL
from service.data.encoding import TableEncoding
from service.data.errors import DatasetError
from service.data.values import number_problem, show


@dataclass
class TableRows:
    """Stored-form X (M, F) float32 and the warnings for unseen levels."""

    X: np.ndarray
    warnings: list[dict[str, Any]] = field(default_factory=list)


def needs_table_rows(instances: Any, encoding: TableEncoding) -> bool:
    """Whether instances need the per-value path: records by name, or a table with
    categorical columns (all-number flat rows take the vectorised path)."""
    if any(c.kind == CATEGORICAL for c in encoding.columns):
        return True
    return isinstance(instances, list) and any(isinstance(row, dict) for row in instances)


def table_rows(instances: list[Any], encoding: TableEncoding, skipped: set[str]) -> TableRows:
    """Validate M instances against the model's columns; `skipped` are names accepted and
    ignored (the target and the columns the upload left out)."""
    if not isinstance(instances, list | tuple):
        raise DatasetError(f"instances must be a list of rows, got {show(instances)}")
    if len(instances) == 0:
        raise DatasetError("instances must not be empty")
    columns = encoding.columns
    names = [c.name for c in columns]
    index = {name: k for k, name in enumerate(names)}
    lookup = [
        {level: code for code, level in enumerate(c.levels or ())}
        if c.kind == CATEGORICAL
        else None
        for c in columns
    ]
    out = TableRows(np.empty((len(instances), len(columns)), dtype=np.float32))
    for i, row in enumerate(instances):
        if isinstance(row, dict):
            for key in row:
                if key not in index and key not in skipped:
                    raise DatasetError(
                        f"instances[{i}]: unknown column {show(key)}; the model takes "
                        f"{', '.join(show(n) for n in names)}",
                        row=i,
                        column=str(key),
                    )
            values = [row.get(name) for name in names]
        elif isinstance(row, list | tuple):
            if len(row) != len(names):
                raise DatasetError(
                    f"instances[{i}]: expected {len(names)} values (the columns "
                    f"{', '.join(show(n) for n in names)}) or an object by column name, got "
                    f"{len(row)}",
                    row=i,
                )
            values = list(row)
        else:
            raise DatasetError(
                f"instances[{i}]: expected an object by column name or a list of "
                f"{len(names)} values, got {show(row)}",
                row=i,
            )
        named = isinstance(row, dict)
        for k, value in enumerate(values):
            where = f"instances[{i}].{names[k]}" if named else f"instances[{i}][{k}]"
            out.X[i, k] = _cell(value, i, k, where, encoding, lookup[k], out.warnings)
    return out


def _cell(
    value: Any,
    i: int,
    k: int,
    where: str,
    encoding: TableEncoding,
    levels: dict[str | None, int] | None,
    warnings: list[dict[str, Any]],
) -> float:
    column = encoding.columns[k]
    if levels is not None:
        text = _level_text(value)
        code = levels.get(text)
        if code is None:
            warnings.append({"row": i, "column": column.name, "value": value})
            return -1.0
        return float(code)
    if value is None:
        if encoding.fill[k] is None:
            raise DatasetError(
                f"{where}: missing, and the model has no value to impute it with (its "
                "dataset was uploaded without impute)",
                row=i,
                column=column.name,
            )
        return math.nan
    problem = number_problem(value)
    if problem:
        raise DatasetError(f"{where}: {problem}", row=i, column=column.name)
    return float(value)


def _level_text(value: Any) -> str | None:
    """A request value as the level text a CSV cell would give: null is the missing level,
    booleans true/false, integral numbers without a fraction."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        text = value.strip()
        return None if text.lower() in MISSING_LEVEL else text
    return repr(value)
