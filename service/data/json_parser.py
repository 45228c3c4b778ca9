"""JSON body -> ParsedDataset.

Expected shape: ``{"X": [[...], ...], "y": [...], "feature_names": [...]?, "target": str?}``.
Errors use 0-based paths like ``X[3][1]``; DatasetError.row is that 0-based row index.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from service.data.csv_table import CsvTable
from service.data.dataset import NO_LIMITS, Limits, ParsedDataset
from service.data.errors import DatasetError
from service.data.values import MIN_ROWS, is_number, number_problem, show, text_problem

MAX_DIMS = 64
"""Deepest X accepted: NumPy's limit on dimensions."""


def parse_json(
    obj: dict,
    limits: Limits = NO_LIMITS,
    *,
    categorical: list[str] | tuple[str, ...] = (),
    ignore: list[str] | tuple[str, ...] = (),
    impute: str | None = None,
) -> ParsedDataset:
    """Validate a JSON dataset. X: nested lists, rectangular, at least 2-D (N, F...) ->
    float32. y: N labels, each a string or a finite number (returned as a list).
    feature_names: F unique strings for 2-D X (default ["x0", ...]); [] for
    higher-dimensional X. target defaults to "y".

    Rows of a table (2-D X) may hold text, booleans and null: such columns are read as a
    CSV's are (categorical, gaps, impute, ``categorical`` and ``ignore`` by feature name;
    see service.data.csv_table). Deeper X holds finite numbers only (bool is not a number).
    The shape implied by X's first elements is checked against ``limits`` before the
    values are read."""
    if not isinstance(obj, dict):
        raise DatasetError(f"expected a JSON object with 'X' and 'y', got {type(obj).__name__}")
    for key in ("X", "y"):
        if key not in obj:
            raise DatasetError(f"missing field {key!r}; the object has: {sorted(map(str, obj))}")
    target = obj.get("target", "y")
    if not isinstance(target, str) or not target.strip():
        raise DatasetError(f"target must be a non-empty string, got {show(target)}")
    problem = text_problem(target)
    if problem:
        raise DatasetError(f"target: {problem}")
    if impute not in (None, "mean", "median"):
        raise DatasetError(f"impute must be 'mean' or 'median', got {show(impute)}")
    if _is_table(obj["X"]):
        return parse_json_table(obj, target, limits, categorical, ignore, impute)
    if categorical or ignore or impute:
        raise DatasetError("categorical, ignore and impute apply to tables (X as rows of values)")
    X = _parse_X(obj["X"], limits)
    y = _parse_y(obj["y"], X.shape[0])
    names = _parse_feature_names(obj.get("feature_names"), X)
    return ParsedDataset(X=X, y_raw=y, feature_names=names, target=target)


def _is_table(X: object) -> bool:
    """Rows (lists) of scalars: a table, whose columns may hold text and gaps."""
    return (
        isinstance(X, list)
        and len(X) > 0
        and isinstance(X[0], list)
        and not any(isinstance(v, list) for v in X[0])
    )


def _parse_X(X: object, limits: Limits) -> np.ndarray:
    if not isinstance(X, list):
        raise DatasetError(f"X must be a list of rows, got {show(X)}")
    if len(X) < MIN_ROWS:
        raise DatasetError(f"X needs at least {MIN_ROWS} rows, got {len(X)}")
    shape = _infer_shape(X)
    if len(shape) < 2:
        raise DatasetError("X must be a list of rows (lists of numbers), e.g. [[1, 2], [3, 4]]")
    if len(shape) > MAX_DIMS:
        raise DatasetError(
            f"X is nested more than {MAX_DIMS} levels deep; at most {MAX_DIMS} are allowed"
        )
    limits.check_shape(shape)
    _check_nested(X, shape, "X", None)
    return np.asarray(X, dtype=np.float32)


def _infer_shape(X: list) -> tuple[int, ...]:
    """Shape implied by following the first element at each level (at most MAX_DIMS + 1)."""
    shape = []
    node: object = X
    while isinstance(node, list) and len(shape) <= MAX_DIMS:
        shape.append(len(node))
        if not node:
            break
        node = node[0]
    return tuple(shape)


def _check_nested(node: object, shape: tuple[int, ...], path: str, row: int | None) -> None:
    """Check ``node`` (at ``path``) against ``shape``; leaves must be finite numbers."""
    if not isinstance(node, list):
        raise DatasetError(
            f"{path}: expected a list of {shape[0]} values, got {show(node)}", row=row
        )
    if len(node) != shape[0]:
        raise DatasetError(
            f"{path}: expected {shape[0]} values, got {len(node)} (X must be rectangular)",
            row=row,
        )
    if shape[0] == 0:
        raise DatasetError(f"{path}: must not be empty", row=row)
    for i, child in enumerate(node):
        child_row = i if row is None else row
        if len(shape) > 1:
            _check_nested(child, shape[1:], f"{path}[{i}]", child_row)
        else:
            problem = number_problem(child)
            if problem:
                raise DatasetError(f"{path}[{i}]: {problem}", row=child_row)


def _parse_y(y: object, n: int) -> list:
    if not isinstance(y, list):
        raise DatasetError(f"y must be a list of labels, got {show(y)}")
    if len(y) != n:
        raise DatasetError(f"X has {n} rows but y has {len(y)} labels")
    for i, label in enumerate(y):
        if isinstance(label, str):
            problem = "empty label" if not label.strip() else text_problem(label)
            if problem:
                raise DatasetError(f"y[{i}]: {problem}", row=i)
        elif not is_number(label):
            raise DatasetError(
                f"y[{i}]: {show(label)} is not a valid label (use a string or a number)", row=i
            )
        elif isinstance(label, numbers.Integral):
            if not -(2**63) <= label < 2**63:
                raise DatasetError(f"y[{i}]: {show(label)} is out of range for a label", row=i)
        elif not math.isfinite(label):
            raise DatasetError(f"y[{i}]: {str(float(label)).lower()} is not allowed", row=i)
    return list(y)


def _parse_feature_names(names: object, X: np.ndarray) -> list[str]:
    if names is None:
        return [f"x{j}" for j in range(X.shape[1])] if X.ndim == 2 else []
    if not isinstance(names, list) or not all(isinstance(s, str) and s for s in names):
        raise DatasetError("feature_names must be a list of non-empty strings")
    expected = X.shape[1] if X.ndim == 2 else 0
    if len(names) != expected:
        raise DatasetError(f"feature_names has {len(names)} names but X has {expected} features")
    for j, name in enumerate(names):
        problem = text_problem(name)
        if problem:
            raise DatasetError(f"feature_names[{j}]: {problem}")
    if len(set(names)) != len(names):
        dup = next(s for s in names if names.count(s) > 1)
        raise DatasetError(f"feature_names: duplicate name {dup!r}")
    return list(names)


def parse_json_table(
    obj: dict,
    target: str,
    limits: Limits,
    categorical: list[str] | tuple[str, ...],
    ignore: list[str] | tuple[str, ...],
    impute: str | None,
) -> ParsedDataset:
    """A table's rows read like CSV records (numbers, text, booleans and null cells), with
    0-based ``X[i]`` paths in errors."""
    X = obj["X"]
    if len(X) < MIN_ROWS:
        raise DatasetError(f"X needs at least {MIN_ROWS} rows, got {len(X)}")
    width = len(X[0])
    limits.check_shape((len(X), width))
    for i, row in enumerate(X):
        if not isinstance(row, list) or len(row) != width:
            if not isinstance(row, list):
                raise DatasetError(
                    f"X[{i}]: expected a list of {width} values, got {show(row)}", row=i
                )
            raise DatasetError(f"X[{i}]: expected {width} values, got {len(row)}", row=i)
    if width == 0:
        raise DatasetError("X[0]: must not be empty", row=0)
    names = _table_names(obj.get("feature_names"), width)
    if target in names:
        raise DatasetError(f"target {show(target)} is also a feature name")
    header = [*names, target]
    for field, listed in (("categorical", categorical), ("ignore", ignore)):
        for name in listed:
            if name not in names:
                raise DatasetError(f"{field}: no feature named {show(name)}", column=name)
    if len(set(ignore)) >= width:
        raise DatasetError("no feature columns left: every feature is ignored")
    y = _parse_y(obj["y"], len(X))

    def records():  # noqa: ANN202 - the rows as text, the header first
        yield header
        for i, row in enumerate(X):
            yield [*(_cell_text(v, i, j) for j, v in enumerate(row)), "0"]

    table = CsvTable(records, header, width, impute, len(X), set(categorical), set(ignore))
    try:
        rows = records()
        next(rows)
        for row in rows:
            table.add(row)
        features, _, columns = table.finish()
    except DatasetError as exc:
        raise _json_path(exc, names) from None
    return ParsedDataset.table(features, y, target, columns, impute, ignore)


def _table_names(names: object, width: int) -> list[str]:
    if names is None:
        return [f"x{j}" for j in range(width)]
    return _parse_feature_names(names, np.empty((0, width)))


def _json_path(exc: DatasetError, names: list[str]) -> DatasetError:
    """A table error located as CSV does ("row 3, column 'x': ...") with JSON's 0-based
    path instead ("X[2][0]: ...")."""
    prefix = f"row {exc.row}, column {show(exc.column)}"
    if exc.row is None or exc.column not in names or not exc.message.startswith(prefix):
        return exc
    path = f"X[{exc.row - 1}][{names.index(exc.column)}]"
    return DatasetError(path + exc.message[len(prefix) :], row=exc.row - 1, column=exc.column)


def _cell_text(value: object, i: int, j: int) -> str:
    """A JSON cell as CSV text: numbers as written, booleans as true/false, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    problem = text_problem(value) if isinstance(value, str) else number_problem(value)
    if problem:
        raise DatasetError(f"X[{i}][{j}]: {problem}", row=i)
    return value if isinstance(value, str) else repr(value)
