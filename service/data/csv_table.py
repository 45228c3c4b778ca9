"""CSV records -> float32 X (values and level codes) and labels, a block of rows at a time.

A feature column is numeric until a non-empty cell is not a number (or the upload names it
categorical); it then becomes categorical, and the rows before are read again from the file
to code them. Missing numeric cells are NaN (refused at the end unless the upload imputes);
a missing categorical cell is the missing level.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from service.data.columns import CATEGORICAL, NUMERIC, Column, check_level
from service.data.errors import DatasetError
from service.data.values import F32_MAX, fits_float32, non_finite_reason, show

BLOCK_CELLS = 1 << 15
BLOCK_ROWS = 4096
"""A block (rows held as Python strings until converted) has at most this many cells/rows."""
HINT = (
    "upload with impute=mean or impute=median to fill missing values "
    "(backprop datasets upload --impute mean)"
)
MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "inf", "-inf", "+inf", "infinity"}
MISSING_LEVEL = {"", "na", "n/a", "nan", "null", "?"}
"""Cells of a categorical column that are its missing level."""
MAX_DISTINCT_COUNTED = 100_000
"""A categorical column stops being read past this many distinct values (it is refused)."""


class CsvTable:
    """Rows -> X (N, F) float32 and the labels, converted and checked a block at a time.

    Labels are int64 while every label is an integer, float64 while every label is a
    number, else (from the first that is not) all text: the labels before it are then read
    again from the file, and each distinct string is kept once.
    """

    def __init__(
        self,
        records_again: object,
        header: list[str],
        t: int,
        impute: str | None,
        rows: int,
        categorical: set[str],
        ignore: set[str],
    ) -> None:
        self.records_again, self.t, self.target, self.impute = records_again, t, header[t], impute
        self.cols = [j for j in range(len(header)) if j != t and header[j] not in ignore]
        self.names = [header[j] for j in self.cols]
        F = len(self.cols)
        self.levels: list[dict[str | None, int] | None] = [
            {} if name in categorical else None for name in self.names
        ]
        self.missing = [0] * F
        self.first_missing: list[tuple[int, str] | None] = [None] * F
        self.capacity = rows
        self.block_rows = max(1, min(BLOCK_ROWS, BLOCK_CELLS // max(F, 1)))
        self.X = np.empty((rows, F), dtype=np.float32)
        self.y = np.empty(rows, dtype=np.int64)
        self.texts: list[str] | None = None
        self.seen: dict[str, str] = {}
        self.filled = 0
        self.pending: list[list[str]] = []

    @property
    def rows(self) -> int:
        return self.filled + len(self.pending)

    def add(self, row: list[str]) -> None:
        self.pending.append(row)
        if len(self.pending) >= self.block_rows:
            self.flush()

    def fail(self, error: DatasetError) -> None:
        """Raise `error`, unless a row before it (still pending) has a problem."""
        self.flush()
        raise error

    def flush(self) -> None:
        rows, self.pending = self.pending, []
        if not rows:
            return
        first, end = self.filled + 1, self.filled + len(rows)
        labels = [row[self.t].strip() for row in rows]
        if not all(labels):
            k = labels.index("")
            self._features(rows[: k + 1], first)  # a bad cell before it comes first
            where = f"row {first + k}, column {show(self.target)}"
            raise DatasetError(f"{where}: empty target value", row=first + k, column=self.target)
        self.X[self.filled : end] = self._features(rows, first)
        self._labels(labels, self.filled, end)
        self.filled = end

    def finish(self) -> tuple[np.ndarray, np.ndarray | list[str], list[Column]]:
        """(X, labels, columns) once every row is added; DatasetError for a numeric gap
        when the upload does not impute, or non-finite labels."""
        self.flush()
        n = self.filled
        X = self.X[:n] if n > self.capacity // 2 else self.X[:n].copy()
        self._check_gaps(n)
        columns = [self._finish_column(X, k) for k in range(len(self.names))]
        if self.texts is not None:
            return X, self.texts, columns
        y = self.y[:n]
        bad = ~np.isfinite(y) if y.dtype.kind == "f" else None
        if bad is not None and bad.any():
            i = int(np.argmax(bad))
            text = next(itertools.islice(self._column_texts(self.t), i, None))
            raise DatasetError(
                f"row {i + 1}, column {show(self.target)}: {non_finite_reason(text)}",
                row=i + 1,
                column=self.target,
            )
        return X, y, columns

    def _check_gaps(self, n: int) -> None:
        """DatasetError at the earliest missing numeric cell unless the upload imputes, and
        for a numeric column with no value at all."""
        gaps = [
            (where, k)
            for k, where in enumerate(self.first_missing)
            if where is not None and self.levels[k] is None
        ]
        for _, k in gaps:
            if self.missing[k] == n and self.impute is not None:
                name = self.names[k]
                raise DatasetError(f"column {show(name)} has no values to impute from", column=name)
        if gaps and self.impute is None:
            (row, text), k = min(gaps)
            name, why = self.names[k], "empty cell" if not text else non_finite_reason(text)
            raise DatasetError(
                f"row {row}, column {show(name)}: {why} ({HINT})", row=row, column=name
            )

    def _finish_column(self, X: np.ndarray, k: int) -> Column:
        name, levels = self.names[k], self.levels[k]
        if levels is None:
            present = X[:, k][~np.isnan(X[:, k])] if self.missing[k] else X[:, k]
            return Column(name, NUMERIC, self.missing[k], int(len(np.unique(present))))
        order = sorted((v for v in levels if v is not None), key=str)
        if None in levels:
            order.append(None)
        remap = np.empty(len(levels), dtype=np.float32)
        for final, level in enumerate(order):
            remap[levels[level]] = final
        X[:, k] = remap[X[:, k].astype(np.int64)]
        distinct = len(order) - (1 if None in levels else 0)
        return Column(name, CATEGORICAL, self.missing[k], distinct, tuple(order))

    def _labels(self, labels: list[str], start: int, end: int) -> None:
        if self.texts is None and self.y.dtype == np.int64:
            try:
                self.y[start:end] = [int(label) for label in labels]
                return
            except (ValueError, OverflowError):
                earlier = self.y[:start].copy()
                self.y = self.y.view(np.float64)  # same buffer, now for floats
                self.y[:start] = earlier
        if self.texts is None:
            try:
                self.y[start:end] = [float(label) for label in labels]
                return
            except ValueError:
                earlier = itertools.islice(self._column_texts(self.t), start)
                self.texts = [self.seen.setdefault(text, text) for text in earlier]
                self.y = np.empty(0)
        self.texts.extend(self.seen.setdefault(label, label) for label in labels)

    def _features(self, rows: list[list[str]], first: int) -> np.ndarray:
        """Rows -> float32 block; the fast path converts all-number blocks at once."""
        block = np.empty((len(rows), len(self.cols)), dtype=np.float32)
        numeric = [k for k, levels in enumerate(self.levels) if levels is None]
        fast = [self.cols[k] for k in numeric]
        try:
            values = np.array([float(row[j]) for row in rows for j in fast], np.float64)
        except ValueError:
            values = None
        if values is not None and fits_float32(values):
            block[:, numeric] = values.reshape(len(rows), len(fast))
            done = set(numeric)
        else:
            done = set()
        for k in range(len(self.cols)):
            if k not in done:
                block[:, k] = self._column(rows, k, first)
        return block

    def _column(self, rows: list[list[str]], k: int, first: int) -> list[float]:
        """One column of a block: values (NaN for gaps) or level codes."""
        j, name = self.cols[k], self.names[k]
        out: list[float] = []
        for i, row in enumerate(rows):
            if self.levels[k] is not None:
                out.append(self._code(row[j], first + i, k))
                continue
            text = row[j].strip()
            if text.lower() in MISSING:
                self.missing[k] += 1
                if self.first_missing[k] is None:
                    self.first_missing[k] = (first + i, text)
                out.append(math.nan)
                continue
            try:
                value = float(text)
            except ValueError:  # not a number: the column is categorical
                self._to_categorical(k, first + i)
                out = [self._code(r[j], first + m, k) for m, r in enumerate(rows[: i + 1])]
                continue
            if not math.isfinite(value) or abs(value) > F32_MAX:
                where = f"row {first + i}, column {show(name)}"
                raise DatasetError(
                    f"{where}: {non_finite_reason(text)} ({HINT})", row=first + i, column=name
                )
            out.append(value)
        return out

    def _to_categorical(self, k: int, row: int) -> None:
        """Column k turns categorical at `row`: code the rows already stored."""
        self.levels[k], self.missing[k], self.first_missing[k] = {}, 0, None
        earlier = itertools.islice(self._column_texts(self.cols[k]), self.filled)
        for i, text in enumerate(earlier):
            self.X[i, k] = self._code(text, i + 1, k)

    def _code(self, cell: str, row: int, k: int) -> float:
        """The provisional code of a categorical cell (levels in order of first sight)."""
        text = cell.strip()
        level: str | None = None if text.lower() in MISSING_LEVEL else text
        levels = self.levels[k]
        code = levels.get(level)
        if code is None:
            if level is not None:
                check_level(text, row, self.names[k])
            if len(levels) >= MAX_DISTINCT_COUNTED:
                raise DatasetError(
                    f"column {show(self.names[k])} has more than {MAX_DISTINCT_COUNTED} "
                    f"distinct values by row {row}; a categorical column may have at most "
                    f"a few hundred. Upload with ignore={self.names[k]} to leave it out",
                    row=row,
                    column=self.names[k],
                )
            code = levels[level] = len(levels)
        if level is None:
            self.missing[k] += 1
        return float(code)

    def _column_texts(self, j: int) -> Iterator[str]:
        """Column j again, stripped, for every non-blank data row."""
        records = self.records_again()
        next(records, None)
        for row in records:
            if any(cell.strip() for cell in row):
                yield row[j].strip()
