"""A table's stored columns -> the network's inputs: numeric gaps imputed, categories
one-hot encoded. Fitted on a job's training rows and saved with its model, so a model
encodes its inputs the same way forever.

Stored X (N, F): numeric values (NaN for gaps) and categorical level codes (float32
indices into the column's levels; -1 for a level the model has not seen).
Encoded (N, W): per column in order, 1 value (numeric) or len(levels) one-hot values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from service.data.columns import CATEGORICAL, Column, describe_inputs
from service.data.errors import DatasetError
from service.data.values import show


@dataclass(frozen=True)
class TableEncoding:
    """Columns (kinds, levels) and the fill value of each numeric column (None: gaps are
    refused, the upload did not ask to impute)."""

    columns: tuple[Column, ...]
    fill: tuple[float | None, ...]
    strategy: str | None

    @classmethod
    def fit(
        cls, X: np.ndarray, rows: np.ndarray, columns: list[Column], strategy: str | None
    ) -> TableEncoding:
        """Fill values from the training `rows` of stored X (mean or median of what is
        present) for every numeric column when `strategy` is set."""
        fill: list[float | None] = []
        for k, column in enumerate(columns):
            if column.kind == CATEGORICAL or strategy is None:
                fill.append(None)
                continue
            values = np.asarray(X[rows, k], dtype=np.float64)
            present = values[~np.isnan(values)]
            if present.size == 0:
                raise DatasetError(
                    f"column {show(column.name)} has no values in the training rows to impute from",
                    column=column.name,
                )
            stat = np.mean(present) if strategy == "mean" else np.median(present)
            fill.append(float(np.float32(stat)))
        return cls(tuple(columns), tuple(fill), strategy)

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def one_hot(self) -> np.ndarray:
        """(W,) bool: which encoded inputs are one-hot levels (never standardised)."""
        mask = []
        for column in self.columns:
            mask += [column.kind == CATEGORICAL] * column.width
        return np.asarray(mask, dtype=bool)

    def transform(self, X: np.ndarray, chunk: int = 65536) -> np.ndarray:
        """Stored or request X (N, F) -> encoded float32 (N, W); a numeric gap without a
        fill value is a DatasetError naming the column (and the row)."""
        X = np.asarray(X, dtype=np.float32)
        out = np.zeros((len(X), self.width), dtype=np.float32)
        at = 0
        for k, column in enumerate(self.columns):
            values = X[:, k]
            if column.kind == CATEGORICAL:
                codes = values.astype(np.int64)
                seen = codes >= 0
                out[np.flatnonzero(seen), at + codes[seen]] = 1.0
            else:
                gaps = np.isnan(values)
                if gaps.any():
                    if self.fill[k] is None:
                        row = int(np.argmax(gaps))
                        raise DatasetError(
                            f"row {row}, column {show(column.name)}: missing value, and the "
                            "model has no value to impute it with (its dataset was uploaded "
                            "without impute)",
                            row=row,
                            column=column.name,
                        )
                    values = np.where(gaps, np.float32(self.fill[k]), values)
                out[:, at] = values
            at += column.width
        return out

    def describe(self) -> str:
        return describe_inputs(list(self.columns))

    def to_dict(self) -> dict[str, Any]:
        """{"columns": [...with "impute" per numeric column...], "strategy": ...}."""
        columns = []
        for column, fill in zip(self.columns, self.fill, strict=True):
            d = column.to_dict()
            if column.kind != CATEGORICAL:
                d["impute"] = fill
            columns.append(d)
        return {"columns": columns, "strategy": self.strategy}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TableEncoding:
        columns = tuple(Column.from_dict(c) for c in d["columns"])
        fill = tuple(c.get("impute") for c in d["columns"])
        return cls(columns, fill, d.get("strategy"))
