"""Column kinds of a table: numeric or categorical, with missing and distinct counts.

A categorical column is stored in X as float32 level codes (indices into `levels`, sorted,
with the missing level ``None`` last when the column has empty cells); a numeric column as
its values, NaN where a cell is missing (only when the upload asked to impute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from service.data.errors import DatasetError
from service.data.values import show

NUMERIC, CATEGORICAL = "numeric", "categorical"
MAX_LEVEL_CHARS = 200
"""Longest category text accepted (a longer one is free text, not a category)."""
SHOWN_LEVELS = 50
"""How many levels the dataset response lists (the rest are counted)."""
ID_LIKE_SHARE = 0.9
"""A column with a distinct value in at least this share of rows looks like an id."""


@dataclass(frozen=True)
class Column:
    """One feature column: name, kind, missing cells, distinct present values, and for a
    categorical column its levels in code order (``None`` is the missing level)."""

    name: str
    kind: str
    missing: int
    distinct: int
    levels: tuple[str | None, ...] | None = None

    @property
    def width(self) -> int:
        """Inputs this column takes in the network: 1, or one per level (one-hot)."""
        return len(self.levels) if self.kind == CATEGORICAL and self.levels else 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "missing": self.missing,
            "distinct": self.distinct,
        }
        if self.levels is not None:
            out["levels"] = list(self.levels)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Column:
        levels = d.get("levels")
        return cls(
            str(d["name"]),
            str(d["kind"]),
            int(d["missing"]),
            int(d["distinct"]),
            tuple(levels) if levels is not None else None,
        )

    def summary(self) -> dict[str, Any]:
        """The public view: levels cut to the first SHOWN_LEVELS, with how many more."""
        out = self.to_dict()
        if self.levels is not None:
            out["levels"] = list(self.levels[:SHOWN_LEVELS])
            out["more_levels"] = max(0, len(self.levels) - SHOWN_LEVELS)
        return out


def columns_from_json(stored: list[dict[str, Any]] | None) -> list[Column] | None:
    """Columns as stored on a dataset row or with a model (None: all numeric, no record)."""
    return None if stored is None else [Column.from_dict(d) for d in stored]


def encoded_width(columns: list[Column]) -> int:
    """Network inputs of a table with these columns (numeric 1 each, one-hot per level)."""
    return sum(c.width for c in columns)


def describe_inputs(columns: list[Column]) -> str:
    """E.g. "13 features: 8 numeric + 5 one-hot levels of island and sex"."""
    numeric = sum(1 for c in columns if c.kind == NUMERIC)
    categorical = [c for c in columns if c.kind == CATEGORICAL]
    text = f"{encoded_width(columns)} features: {numeric} numeric"
    if categorical:
        names = [c.name for c in categorical]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        levels = sum(c.width for c in categorical)
        text += f" + {levels} one-hot levels of {listed}"
    return text


def check_cardinality(column: Column, rows: int, max_categories: int) -> None:
    """DatasetError naming the column, its distinct count and the ways out when a
    categorical column has more than `max_categories` levels."""
    if column.kind != CATEGORICAL or column.distinct <= max_categories:
        return
    name = column.name
    id_like = column.distinct >= ID_LIKE_SHARE * rows
    what = (
        f"looks like an id column ({column.distinct} distinct values in {rows} rows)"
        if id_like
        else f"has {column.distinct} distinct values"
    )
    raise DatasetError(
        f"column {show(name)} {what}; a categorical column may have at most {max_categories} "
        f"levels (BACKPROP_MAX_CATEGORIES). Upload with ignore={name} to leave it out"
        + ("" if id_like else ", or group its values into fewer categories"),
        column=name,
    )


def check_level(text: str, row: int, name: str) -> None:
    """DatasetError for a category text too long to be a category."""
    if len(text) > MAX_LEVEL_CHARS:
        raise DatasetError(
            f"row {row}, column {show(name)}: a category of {len(text)} characters; "
            f"categories are at most {MAX_LEVEL_CHARS} characters (use ignore={name} for a "
            "free-text column)",
            row=row,
            column=name,
        )


def parse_name_list(value: str | None, field: str) -> list[str]:
    """'a, b' -> ["a", "b"] for the categorical= and ignore= upload fields."""
    if value is None or not str(value).strip():
        return []
    names = [part.strip() for part in str(value).split(",")]
    if any(not name for name in names):
        raise DatasetError(f"{field}: empty column name in {show(value)}")
    return names


def drop_constant(
    X: np.ndarray, columns: list[Column]
) -> tuple[np.ndarray, list[Column], list[str], list[str]]:
    """Leave out columns with one value in every row (nothing to learn from), with a note
    for each; returns (X, columns, notes, names left out). A table whose every column is
    constant is kept as it is (a synthetic or placeholder table; the note says so)."""
    keep = [k for k, c in enumerate(columns) if c.distinct > 1 or c.missing > 0]
    if len(keep) == len(columns):
        return X, columns, [], []
    dropped = [c.name for k, c in enumerate(columns) if k not in keep]
    if not keep:
        return X, columns, ["every feature column holds one value in every row"], []
    notes = [
        f"column {show(name)} holds one value in every row and was left out" for name in dropped
    ]
    return X[:, keep], [columns[k] for k in keep], notes, dropped
