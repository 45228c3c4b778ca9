"""A stored data set's features in a model's stored form, column by column by name.

A data set's categorical codes index the DATA SET's levels; the model's encoding wants
codes into the MODEL's levels. Each model column is found by name in the data set and
recoded: level text -> the model's code (-1, no level, for one the model has not seen,
counted per value); a numeric data set column feeding a categorical model column is read
as level text (2.0 -> "2", NaN -> the missing level); a categorical data set column
feeding a numeric model column must hold numbers (its missing level is a gap). A data set
without column records (NPZ) is numbers in the model's column order.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from service.data.columns import CATEGORICAL, NUMERIC, Column
from service.data.encoding import TableEncoding
from service.data.errors import DatasetError
from service.data.values import show


@dataclass
class _Source:
    """How one model column is read: from data set column `index`, through `table` (data
    set level code -> model value) when set, else as numbers (`as_levels`: to codes)."""

    index: int
    table: np.ndarray | None = None
    as_levels: dict[str | None, int] | None = None


@dataclass
class DatasetInput:
    """Converts chunks of a data set's X (n, F_dataset) to a model's stored form (n, F)."""

    encoding: TableEncoding
    sources: list[_Source]
    dataset_levels: list[tuple[str | None, ...] | None]
    unseen: Counter = field(default_factory=Counter)
    """(column, value) -> rows whose level the model has not seen."""

    @classmethod
    def build(
        cls, dataset_columns: list[Column] | None, n_features: int, encoding: TableEncoding
    ) -> DatasetInput:
        """DatasetError naming the first model column the data set lacks or cannot give."""
        if dataset_columns is None:
            if n_features != len(encoding.columns):
                raise DatasetError(
                    f"the data set has {n_features} features, the model takes "
                    f"{len(encoding.columns)} columns ({_names(encoding.columns)})"
                )
            dataset_columns = [Column(c.name, NUMERIC, 0, 0) for c in encoding.columns]
        by_name = {c.name: k for k, c in enumerate(dataset_columns)}
        sources = []
        for column in encoding.columns:
            if column.name not in by_name:
                raise DatasetError(
                    f"the data set has no column {show(column.name)}; the model takes "
                    f"{_names(encoding.columns)}",
                    column=column.name,
                )
            k = by_name[column.name]
            sources.append(_source(k, dataset_columns[k], column))
        levels = [c.levels if c.kind == CATEGORICAL else None for c in dataset_columns]
        return cls(encoding, sources, levels)

    def convert(self, X: np.ndarray) -> np.ndarray:
        """Data set rows (n, F_dataset) -> the model's stored form (n, F) float32."""
        X = np.asarray(X, dtype=np.float32)
        out = np.empty((len(X), len(self.sources)), dtype=np.float32)
        for j, source in enumerate(self.sources):
            values = X[:, source.index]
            if source.table is not None:
                codes = values.astype(np.int64)
                out[:, j] = source.table[codes]
            elif source.as_levels is not None:
                out[:, j] = self._numbers_to_codes(values, source.as_levels)
            else:
                out[:, j] = values
            if self.encoding.columns[j].kind == CATEGORICAL:
                self._count_unseen(j, values, out[:, j])
        return out

    def _numbers_to_codes(self, values: np.ndarray, levels: dict[str | None, int]) -> np.ndarray:
        distinct, inverse = np.unique(values, return_inverse=True)
        codes = np.array([levels.get(_number_text(v), -1) for v in distinct], dtype=np.float32)
        return codes[inverse.reshape(-1)]

    def _count_unseen(self, j: int, values: np.ndarray, codes: np.ndarray) -> None:
        missed = codes < 0
        if not missed.any():
            return
        name = self.encoding.columns[j].name
        levels = self.dataset_levels[self.sources[j].index]
        distinct, counts = np.unique(values[missed], return_counts=True)
        for value, count in zip(distinct, counts, strict=True):
            text = levels[int(value)] if levels is not None else _number_text(float(value))
            self.unseen[(name, text)] += int(count)

    def warnings(self, limit: int = 50) -> list[dict[str, object]]:
        """Unseen levels, most rows first: {"column", "value", "rows"} (at most `limit`)."""
        return [
            {"column": column, "value": value, "rows": rows}
            for (column, value), rows in self.unseen.most_common(limit)
        ]


def to_model_form(
    X: np.ndarray, dataset_columns: list[Column] | None, encoding: TableEncoding
) -> tuple[np.ndarray, list[dict[str, object]]]:
    """A data set's X (n, F_dataset) in the model's stored form (n, F), and the warnings
    for levels the model has not seen."""
    reader = DatasetInput.build(dataset_columns, X.shape[1], encoding)
    return reader.convert(X), reader.warnings()


def _source(k: int, dataset_column: Column, model_column: Column) -> _Source:
    if model_column.kind == CATEGORICAL:
        levels = {level: code for code, level in enumerate(model_column.levels or ())}
        if dataset_column.kind != CATEGORICAL:
            return _Source(k, as_levels=levels)
        table = [levels.get(level, -1) for level in dataset_column.levels or ()]
        return _Source(k, table=np.asarray(table, dtype=np.float32))
    if dataset_column.kind != CATEGORICAL:
        return _Source(k)
    numbers = []
    for level in dataset_column.levels or ():
        number = _level_number(level)
        if number is None:
            raise DatasetError(
                f"column {show(model_column.name)} is numeric for the model, but the data set "
                f"holds the category {show(level)} in it",
                column=model_column.name,
            )
        numbers.append(number)
    return _Source(k, table=np.asarray(numbers, dtype=np.float32))


def _level_number(level: str | None) -> float | None:
    """A level's number (NaN for the missing level); None when it is not a number."""
    if level is None:
        return math.nan
    try:
        number = float(level)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _number_text(value: float) -> str | None:
    """A stored number as the level text a CSV cell gives (2.0 -> "2"; NaN: missing)."""
    if math.isnan(value):
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _names(columns: tuple[Column, ...] | list[Column]) -> str:
    return ", ".join(show(c.name) for c in columns)
