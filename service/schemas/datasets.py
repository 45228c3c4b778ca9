"""Dataset responses and the JSON upload body."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import StrictModel, Timestamp, with_examples


class DatasetJSON(StrictModel):
    """POST /v1/datasets as application/json: rows of features and their labels."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "xor",
                    "X": [[0, 0], [0, 1], [1, 0], [1, 1]],
                    "y": ["no", "yes", "yes", "no"],
                    "task": "classification",
                }
            ]
        },
    )

    name: str = Field(default="dataset", min_length=1, max_length=200)
    X: list[Any]
    y: list[Any]
    feature_names: list[str] | None = None
    target: str = Field(default="y", max_length=200)
    task: Literal["classification", "regression"] | None = None
    categorical: list[str] = Field(
        default_factory=list,
        description="Feature names to read as categories even when they hold numbers.",
    )
    ignore: list[str] = Field(default_factory=list, description="Feature names to leave out.")
    impute: Literal["mean", "median"] | None = Field(
        default=None,
        description="Fill missing numbers (null) from each job's training rows (default: "
        "refuse them).",
    )


class ColumnOut(BaseModel):
    """One feature column of a table: its kind and what it holds."""

    model_config = with_examples(
        {
            "name": "island",
            "kind": "categorical",
            "missing": 0,
            "distinct": 3,
            "levels": ["Biscoe", "Dream", "Torgersen"],
            "more_levels": 0,
        },
        response=True,
    )
    name: str
    kind: Literal["numeric", "categorical"]
    missing: int = Field(description="Empty cells.")
    distinct: int = Field(description="Distinct present values.")
    levels: list[str | None] | None = Field(
        default=None,
        description="Categorical: the first 50 levels in encoding order (null is the "
        "missing level).",
    )
    more_levels: int | None = Field(default=None, description="Levels not listed.")


class DatasetOut(BaseModel):
    """A stored dataset."""

    id: str
    name: str
    format: str
    rows: int
    features: int
    input_shape: list[int]
    feature_names: list[str]
    target: str
    task: Literal["classification", "regression"]
    classes: list[Any] | None
    size_bytes: int
    content_sha256: str | None = Field(
        default=None,
        description="Hex SHA-256 of the stored arrays (X then y); null for data sets stored "
        "before fingerprints until a job trains on them",
    )
    created_at: Timestamp
    columns: list[ColumnOut] | None = Field(
        default=None, description="Tables (CSV, JSON): each feature column's kind."
    )
    impute: Literal["mean", "median"] | None = None
    notes: list[str] = Field(default_factory=list, description="What the parser changed.")
