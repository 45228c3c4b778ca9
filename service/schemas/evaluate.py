"""POST /v1/models/{id}/evaluate: request and response."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import StrictModel, with_examples

CLASSIFICATION_METRICS_EXAMPLE = {
    "accuracy": 0.97,
    "log_loss": 0.081,
    "roc_auc": 0.998,
    "per_class": {
        "Adelie": {"precision": 0.97, "recall": 0.98, "f1": 0.975, "support": 101},
        "Chinstrap": {"precision": 0.95, "recall": 0.91, "f1": 0.93, "support": 45},
        "Gentoo": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 94},
    },
    "confusion_matrix": {
        "labels": ["Adelie", "Chinstrap", "Gentoo"],
        "matrix": [[99, 2, 0], [4, 41, 0], [0, 0, 94]],
    },
    "roc_curve": {
        "curves": {"Gentoo": {"fpr": [0.0, 0.0, 1.0], "tpr": [0.0, 1.0, 1.0]}},
    },
}


class EvaluateRequest(StrictModel):
    """The data set to score the model on (encoded with the model's saved preprocessing)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"dataset_id": "4b0c6f7e-2d1a-4d8e-9a57-0c1b2d3e4f50"},
                {"dataset_id": "4b0c6f7e-2d1a-4d8e-9a57-0c1b2d3e4f50", "importance": True},
            ]
        }
    )
    dataset_id: str = Field(min_length=1, max_length=64)
    importance: bool = Field(
        default=False,
        description="Add each column's permutation importance: the drop in accuracy "
        "(classification) or r2 (regression) when the column is shuffled (seeded).",
    )
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="Seed of the shuffles.")


class EvaluateResponse(BaseModel):
    """Metrics of the model over every row of the data set."""

    model_config = with_examples(
        {
            "model_id": "9f1e2d3c-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
            "dataset_id": "4b0c6f7e-2d1a-4d8e-9a57-0c1b2d3e4f50",
            "rows": 240,
            "task": "classification",
            "metrics": CLASSIFICATION_METRICS_EXAMPLE,
            "importance": {
                "metric": "accuracy",
                "baseline": 0.97,
                "rows": 240,
                "repeats": 3,
                "columns": [
                    {"column": "bill_length_mm", "importance": 0.31, "std": 0.02},
                    {"column": "island", "importance": 0.05, "std": 0.01},
                ],
            },
        },
        {
            "model_id": "9f1e2d3c-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
            "dataset_id": "4b0c6f7e-2d1a-4d8e-9a57-0c1b2d3e4f50",
            "rows": 500,
            "task": "regression",
            "metrics": {"mae": 2.1, "rmse": 2.9, "r2": 0.87},
        },
        response=True,
    )
    model_id: str
    dataset_id: str
    rows: int
    task: str
    metrics: dict[str, Any] = Field(
        description="Classification: accuracy, log_loss, roc_auc (binary; macro one-vs-rest "
        "for more classes; null with a single class), per_class {label: precision, recall, "
        "f1, support}, confusion_matrix {labels, matrix: rows true, columns predicted}, "
        "roc_curve. Regression: mae, rmse, r2."
    )
    warnings: list[dict[str, Any]] | None = Field(
        default=None,
        description="Levels the model has not seen (column, value, rows): encoded as no level.",
    )
    importance: dict[str, Any] | None = Field(
        default=None, description="Permutation importance (with importance=true)."
    )
