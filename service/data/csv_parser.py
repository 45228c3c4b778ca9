"""CSV upload -> ParsedDataset.

Rows are numbered as data rows: the first row after the header is row 1.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from service.data.dataset import ParsedDataset
from service.data.errors import DatasetError
from service.data.values import MIN_ROWS, non_finite_reason, show

_F32_MAX = float(np.finfo(np.float32).max)


def parse_csv(data: bytes, target: str, impute: str | None = None) -> ParsedDataset:
    """Parse a comma-separated file with a header row.

    ``target`` names the label column (any position); every other column must be numeric.
    Returns X float32 (N, F), y_raw a list of N labels (all int, all float, or all str),
    feature_names the F other header names. A UTF-8 BOM, CRLF line endings and blank
    trailing lines are accepted. Raises DatasetError on any problem.

    impute: None refuses missing or non-finite feature cells; "mean" or "median" fills
    empty, NA, nan and inf cells with the column's statistic (labels must be present).
    """
    target = target.strip()
    text = _decode(data)
    records = _read_records(text)
    if not records or not any(cell.strip() for cell in records[0]):
        raise DatasetError("file is empty" if not records else "the first line (header) is empty")
    header = _check_header([cell.strip() for cell in records[0]], target)
    rows = records[1:]
    if len(rows) < MIN_ROWS:
        raise DatasetError(f"need at least {MIN_ROWS} data rows after the header, got {len(rows)}")
    width = len(header)
    for i, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            raise DatasetError(f"row {i} is blank", row=i)
        if len(row) != width:
            raise DatasetError(f"row {i}: expected {width} values, got {len(row)}", row=i)
    t = header.index(target)
    names = header[:t] + header[t + 1 :]
    if impute is None:
        X = _parse_features(rows, [j for j in range(width) if j != t], names)
    else:
        X = impute_missing(
            _parse_with_missing(rows, [j for j in range(width) if j != t], names), names, impute
        )
    y_raw = _parse_labels([row[t] for row in rows], target)
    return ParsedDataset(X=X, y_raw=y_raw, feature_names=names, target=target)


def _decode(data: bytes) -> str:
    """Bytes -> text; rejects non-UTF-8 and binary content."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DatasetError("CSV data must be bytes")
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"file is not UTF-8 text (invalid byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}); upload a UTF-8 encoded CSV file"
        ) from None
    if "\x00" in text:
        raise DatasetError("file contains NUL bytes; it looks like a binary file, not CSV text")
    return text


def _read_records(text: str) -> list[list[str]]:
    """All CSV records with fully blank trailing records removed."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise DatasetError(f"line {reader.line_num}: malformed CSV ({exc})") from None
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()
    return records


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


def _parse_features(rows: list[list[str]], cols: list[int], names: list[str]) -> np.ndarray:
    """Feature cells -> float32 (N, F). Fast path per column; if anything is wrong, a
    row-major scan raises for the earliest bad cell."""
    columns = []
    for j in cols:
        try:
            values = np.fromiter((float(row[j]) for row in rows), np.float64, len(rows))
        except ValueError:
            break
        if not np.all(np.isfinite(values) & (np.abs(values) <= _F32_MAX)):
            break
        columns.append(values)
    else:
        return np.stack(columns, axis=1).astype(np.float32)
    values = [
        [_cell_value(row[j], i, name) for j, name in zip(cols, names, strict=True)]
        for i, row in enumerate(rows, start=1)
    ]
    return np.array(values, dtype=np.float32)


_HINT = "upload with impute=mean or impute=median to fill missing values"
MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "inf", "-inf", "+inf", "infinity"}


def _parse_with_missing(rows: list[list[str]], cols: list[int], names: list[str]) -> np.ndarray:
    """Feature cells -> float64 (N, F) with NaN where a cell is missing or non-finite."""
    out = np.empty((len(rows), len(cols)), dtype=np.float64)
    for i, row in enumerate(rows, start=1):
        for k, (j, name) in enumerate(zip(cols, names, strict=True)):
            text = row[j].strip()
            if text.lower() in MISSING:
                out[i - 1, k] = np.nan
                continue
            out[i - 1, k] = _cell_value(text, i, name)
    return out


def impute_missing(X: np.ndarray, names: list[str], strategy: str) -> np.ndarray:
    """Fill NaN cells of (N, F) X with each column's mean or median -> float32."""
    if strategy not in ("mean", "median"):
        raise DatasetError(f"impute must be 'mean' or 'median', got {show(strategy)}")
    X = np.array(X, dtype=np.float64)
    missing = np.isnan(X)
    for k in np.flatnonzero(missing.any(axis=0)):
        present = X[~missing[:, k], k]
        if present.size == 0:
            raise DatasetError(
                f"column {show(names[k])} has no values to impute from", column=names[k]
            )
        X[missing[:, k], k] = np.mean(present) if strategy == "mean" else np.median(present)
    return X.astype(np.float32)


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
    if not math.isfinite(value) or abs(value) > _F32_MAX:
        raise DatasetError(f"{where}: {non_finite_reason(text)} ({_HINT})", row=i, column=name)
    return value


def _parse_labels(cells: list[str], name: str) -> list:
    """Labels as all int, all finite float, or (if any cell is not numeric) all str."""
    labels = [cell.strip() for cell in cells]
    for i, label in enumerate(labels, start=1):
        if not label:
            raise DatasetError(
                f"row {i}, column {show(name)}: empty target value", row=i, column=name
            )
    try:
        return [int(label) for label in labels]
    except ValueError:
        pass
    try:
        floats = np.array(labels, dtype=str).astype(np.float64)
    except ValueError:
        return labels
    bad = ~np.isfinite(floats)
    if bad.any():
        i = int(np.argmax(bad))
        raise DatasetError(
            f"row {i + 1}, column {show(name)}: {non_finite_reason(labels[i])}",
            row=i + 1,
            column=name,
        )
    return floats.tolist()
