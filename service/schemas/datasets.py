"""Dataset responses and the JSON upload body."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import StrictModel, Timestamp


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
    created_at: Timestamp
