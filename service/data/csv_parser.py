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
from collections.abc import Iterator

from service.data.csv_table import CsvTable
from service.data.dataset import NO_LIMITS, Limits, ParsedDataset
from service.data.errors import DatasetError
from service.data.values import MIN_ROWS, is_float_text, show


def parse_csv(
    data: bytes,
    target: str,
    impute: str | None = None,
    limits: Limits = NO_LIMITS,
    *,
    categorical: list[str] | tuple[str, ...] = (),
    ignore: list[str] | tuple[str, ...] = (),
) -> ParsedDataset:
    """Parse a comma-separated file with a header row.

    ``target`` names the label column (any position). Each other column is numeric, or
    categorical when a non-empty cell is not a number or when it is named in
    ``categorical``; columns named in ``ignore`` are left out, and a column with one value
    in every row is dropped with a note. Returns X float32 (N, F) with categorical columns
    as level codes, y_raw the N labels (an int64 or float64 array when all are numbers,
    else a list of str), the F feature names and their columns. A UTF-8 BOM, CRLF line
    endings and blank trailing lines are accepted. Raises DatasetError on any problem.

    impute: None refuses missing or non-finite numeric cells; "mean" or "median" keeps them
    as NaN, to be filled from the training rows when a job trains (labels must be present).
    """
    target = target.strip()
    if impute not in (None, "mean", "median"):
        raise DatasetError(f"impute must be 'mean' or 'median', got {show(impute)}")
    data = _check_text(data)
    records = _records(data)
    header = _read_header(records, target)
    _check_named(header, target, categorical, "categorical")
    _check_named(header, target, ignore, "ignore")
    t, width = header.index(target), len(header)
    features = width - 1 - len(set(ignore))
    if features < 1:
        raise DatasetError("no feature columns left: every column but the target is ignored")
    limits.check_columns(features)
    table = CsvTable(
        lambda: _records(data),
        header,
        t,
        impute,
        _capacity(data, features, limits),
        set(categorical),
        set(ignore),
    )
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
            limits.check_rows(i, features, at_row=i)
            raise AssertionError(f"row {i}: more CSV records than line breaks")
        table.add(row)
    if table.rows < MIN_ROWS:
        raise DatasetError(f"need at least {MIN_ROWS} data rows after the header, got {table.rows}")
    X, y, columns = table.finish()
    return ParsedDataset.table(X, y, target, columns, impute, ignore)


def _check_named(
    header: list[str], target: str, names: list[str] | tuple[str, ...], field: str
) -> None:
    """Every column named in an upload option exists and is not the target."""
    for name in names:
        if name not in header:
            listing = ", ".join(show(n) for n in header)
            raise DatasetError(
                f"{field}: no column named {show(name)}; the columns are: {listing}", column=name
            )
        if name == target:
            raise DatasetError(
                f"{field}: {show(name)} is the target column; it cannot be {field}d"
                if field == "ignore"
                else f"{field}: {show(name)} is the target column, not a feature",
                column=name,
            )


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
    if target not in header and all(is_float_text(cell) for cell in header):
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
