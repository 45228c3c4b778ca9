"""CSV upload -> ParsedDataset, read as a stream of records.

Rows are numbered as data rows: the first row after the header is row 1.

Memory: besides the upload's bytes, the float32 features (4 bytes a cell, allocated once
for as many rows as the file has line breaks), 8 bytes a label (numbers in an array; text
as references to the distinct labels) and one block of at most BLOCK_ROWS rows as Python
strings. A cell takes at least 2 bytes of the file, so the parse peaks at about 3x the
upload size (measured: 2.6x for one-digit cells) and encoding the target adds about 2x
more. ``limits`` are checked as rows arrive: an oversized file is refused without reading
the rest of it.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
from collections.abc import Iterator

import numpy as np

from service.data.dataset import NO_LIMITS, Limits, ParsedDataset
from service.data.errors import DatasetError
from service.data.values import F32_MAX, MIN_ROWS, fits_float32, non_finite_reason, show

BLOCK_CELLS = 1 << 15
BLOCK_ROWS = 4096
"""A block (rows held as Python strings until converted) has at most this many cells/rows."""
_HINT = "upload with impute=mean or impute=median to fill missing values"
MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "inf", "-inf", "+inf", "infinity"}


def parse_csv(
    data: bytes, target: str, impute: str | None = None, limits: Limits = NO_LIMITS
) -> ParsedDataset:
    """Parse a comma-separated file with a header row.

    ``target`` names the label column (any position); every other column must be numeric.
    Returns X float32 (N, F), y_raw the N labels (an int64 or float64 array when all are
    numbers, else a list of str), feature_names the F other header names. A UTF-8 BOM,
    CRLF line endings and blank trailing lines are accepted. Raises DatasetError on any
    problem, for the earliest row that has one.

    impute: None refuses missing or non-finite feature cells; "mean" or "median" fills
    empty, NA, nan and inf cells with the column's statistic (labels must be present).
    """
    target = target.strip()
    if impute not in (None, "mean", "median"):
        raise DatasetError(f"impute must be 'mean' or 'median', got {show(impute)}")
    data = _check_text(data)
    records = _records(data)
    header = _read_header(records, target)
    t, width = header.index(target), len(header)
    limits.check_columns(width - 1)
    table = _Table(data, header, t, impute, _capacity(data, width - 1, limits))
    blank = 0
    for i, row in enumerate(records, start=1):
        if len(row) != width or not row[t].strip():  # rare: blank, ragged or unlabelled
            if not any(cell.strip() for cell in row):
                blank = blank or i
                continue
            if not blank and len(row) != width:
                table.fail(DatasetError(f"row {i}: expected {width} values, got {len(row)}", row=i))
        if blank:
            table.fail(DatasetError(f"row {blank} is blank", row=blank))
        if i > table.capacity:
            table.flush()
            limits.check_rows(i, width - 1, at_row=i)
            raise AssertionError(f"row {i}: more CSV records than line breaks")
        table.add(row)
    if table.rows < MIN_ROWS:
        raise DatasetError(f"need at least {MIN_ROWS} data rows after the header, got {table.rows}")
    X, y = table.finish()
    return ParsedDataset(X=X, y_raw=y, feature_names=table.names, target=target)


def _check_text(data: bytes) -> bytes:
    """The upload as bytes; rejects non-UTF-8 and binary content (without decoding it whole)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DatasetError("CSV data must be bytes")
    data = data if isinstance(data, bytes) else bytes(data)
    view, pos, chunk = memoryview(data), 0, 1 << 20
    while pos < len(data):
        end = min(pos + chunk, len(data))
        try:
            _, used = codecs.utf_8_decode(view[pos:end], "strict", end == len(data))
        except UnicodeDecodeError as exc:
            bad = pos + exc.start
            raise DatasetError(
                f"file is not UTF-8 text (invalid byte 0x{data[bad]:02x} at offset {bad}); "
                "upload a UTF-8 encoded CSV file"
            ) from None
        pos += used
    if b"\x00" in data:
        raise DatasetError("file contains NUL bytes; it looks like a binary file, not CSV text")
    return data


def _capacity(data: bytes, columns: int, limits: Limits) -> int:
    """Rows to allocate: records can't outnumber the line breaks (\\n, \\r or \\r\\n) plus
    one, nor (without being refused) what the limits allow."""
    rows = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1
    if limits.max_rows is not None:
        rows = min(rows, limits.max_rows)
    if limits.max_bytes is not None:
        rows = min(rows, limits.max_bytes // (4 * columns))
    return max(rows, 0)


def _records(data: bytes) -> Iterator[list[str]]:
    """The CSV records, decoded and split as they are read."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(stream, strict=True)
    try:
        yield from reader
    except csv.Error as exc:
        raise DatasetError(f"line {reader.line_num}: malformed CSV ({exc})") from None


def _read_header(records: Iterator[list[str]], target: str) -> list[str]:
    first = next(records, None)
    if first is None:
        raise DatasetError("file is empty")
    if not any(cell.strip() for cell in first):
        if any(any(cell.strip() for cell in record) for record in records):
            raise DatasetError("the first line (header) is empty")
        raise DatasetError("file is empty")
    return _check_header([cell.strip() for cell in first], target)


def _check_header(header: list[str], target: str) -> list[str]:
    """Validate column names; returns them (stripped)."""
    if target not in header and all(_is_float(cell) for cell in header):
        raise DatasetError(
            "no header row: the first line contains only numbers; "
            "the first line must name the columns"
        )
    for j, name in enumerate(header, start=1):
        if not name:
            raise DatasetError(f"header: column {j} has an empty name")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DatasetError(f"header: duplicate column name {show(name)}", column=name)
        seen.add(name)
    if target not in header:
        listing = ", ".join(show(name) for name in header)
        hint = ""
        if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
            hint = " (the file must be comma-separated)"
        raise DatasetError(
            f"target column {show(target)} not found; the columns are: {listing}{hint}",
            column=target,
        )
    if len(header) < 2:
        raise DatasetError("no feature columns: the file only has the target column")
    return header


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Table:
    """Rows -> float32 X and the labels, converted and checked a block at a time.

    Labels are int64 while every label is an integer, float64 while every label is a
    number, else (from the first that is not) all text: the labels before it are then read
    again from the file, and each distinct string is kept once.
    """

    def __init__(self, data: bytes, header: list[str], t: int, impute: str | None, rows: int):
        self.data, self.t, self.target, self.impute = data, t, header[t], impute
        self.cols = [j for j in range(len(header)) if j != t]
        self.names = [header[j] for j in self.cols]
        self.capacity = rows
        self.block_rows = max(1, min(BLOCK_ROWS, BLOCK_CELLS // len(self.cols)))
        self.X = np.empty((rows, len(self.cols)), dtype=np.float32)
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

    def finish(self) -> tuple[np.ndarray, np.ndarray | list[str]]:
        self.flush()
        n = self.filled
        X = self.X[:n] if n > self.capacity // 2 else self.X[:n].copy()
        if self.impute is not None:
            impute_missing(X, self.names, self.impute)
        if self.texts is not None:
            return X, self.texts
        y = self.y[:n]
        bad = ~np.isfinite(y) if y.dtype.kind == "f" else None
        if bad is not None and bad.any():
            i = int(np.argmax(bad))
            text = next(itertools.islice(_label_texts(self.data, self.t), i, None))
            raise DatasetError(
                f"row {i + 1}, column {show(self.target)}: {non_finite_reason(text)}",
                row=i + 1,
                column=self.target,
            )
        return X, y

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
                earlier = itertools.islice(_label_texts(self.data, self.t), start)
                self.texts = [self.seen.setdefault(text, text) for text in earlier]
                self.y = np.empty(0)
        self.texts.extend(self.seen.setdefault(label, label) for label in labels)

    def _features(self, rows: list[list[str]], first: int) -> np.ndarray:
        """Rows -> float32 block; a row-major scan raises for the earliest bad cell."""
        cols, names = self.cols, self.names
        if self.impute is None:
            try:
                values = np.array([float(row[j]) for row in rows for j in cols], np.float64)
            except ValueError:
                pass
            else:
                if fits_float32(values):
                    return values.reshape(len(rows), len(cols)).astype(np.float32)
            cell = _cell_value
        else:
            cell = _missing_or_value
        return np.array(
            [
                [cell(row[j], first + k, name) for j, name in zip(cols, names, strict=True)]
                for k, row in enumerate(rows)
            ],
            dtype=np.float32,
        )


def impute_missing(X: np.ndarray, names: list[str], strategy: str) -> np.ndarray:
    """Fill NaN cells of float32 (N, F) X in place with each column's mean or median
    (computed in float64); returns X."""
    if strategy not in ("mean", "median"):
        raise DatasetError(f"impute must be 'mean' or 'median', got {show(strategy)}")
    missing = np.isnan(X)
    for k in np.flatnonzero(missing.any(axis=0)):
        present = X[~missing[:, k], k].astype(np.float64)
        if present.size == 0:
            raise DatasetError(
                f"column {show(names[k])} has no values to impute from", column=names[k]
            )
        X[missing[:, k], k] = np.mean(present) if strategy == "mean" else np.median(present)
    return X


def _missing_or_value(cell: str, i: int, name: str) -> float:
    """NaN for a missing cell (see MISSING), else the checked value."""
    text = cell.strip()
    return math.nan if text.lower() in MISSING else _cell_value(text, i, name)


def _cell_value(cell: str, i: int, name: str) -> float:
    """``cell`` (row i, column name) as a float; DatasetError unless finite in float32."""
    text = cell.strip()
    where = f"row {i}, column {show(name)}"
    if not text:
        raise DatasetError(f"{where}: empty cell ({_HINT})", row=i, column=name)
    try:
        value = float(text)
    except ValueError:
        raise DatasetError(f"{where}: {show(text)} is not a number", row=i, column=name) from None
    if not math.isfinite(value) or abs(value) > F32_MAX:
        raise DatasetError(f"{where}: {non_finite_reason(text)} ({_HINT})", row=i, column=name)
    return value


def _label_texts(data: bytes, t: int) -> Iterator[str]:
    """The target column again, stripped, for every non-blank data row."""
    records = _records(data)
    next(records, None)
    for row in records:
        if any(cell.strip() for cell in row):
            yield row[t].strip()
