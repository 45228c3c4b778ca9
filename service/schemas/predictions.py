"""Batch scoring requests and responses (POST/GET /v1/models/{id}/predictions)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import StrictModel, Timestamp

RUN_ID = "0c6b1f9e-5d3a-4f7e-8a21-3b9d2f1e4c55"


class ScoreRequest(StrictModel):
    """POST /v1/models/{id}/predictions body: the stored data set to score."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"dataset_id": "6f1c1a8e-1f7e-4c1e-9a55-2b0b7c0c1d2e"}]},
    )

    dataset_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")


class ScoreProgress(BaseModel):
    """Rows scored and stored so far, of `total`."""

    rows: int
    total: int
    fraction: float = Field(description="rows / total, 0 to 1")


class ScoreRunOut(BaseModel):
    """A batch scoring run: status, progress and, once it succeeded, where its CSV is."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": RUN_ID,
                    "model_id": "9a3e5c1d-7b2f-4e6a-8c0d-1f2e3d4c5b6a",
                    "dataset_id": "6f1c1a8e-1f7e-4c1e-9a55-2b0b7c0c1d2e",
                    "status": "running",
                    "attempt": 1,
                    "created_at": "2026-01-05T10:00:00Z",
                    "started_at": "2026-01-05T10:00:01Z",
                    "finished_at": None,
                    "progress": {"rows": 16384, "total": 50000, "fraction": 0.32768},
                    "error": None,
                    "cancel_requested": False,
                    "warnings": [{"column": "island", "value": "Atlantis", "rows": 3}],
                    "download": None,
                }
            ]
        }
    )

    id: str
    model_id: str
    dataset_id: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    attempt: int
    created_at: Timestamp
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    progress: ScoreProgress
    error: str | None = None
    cancel_requested: bool = False
    warnings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Levels the model has not seen (encoded as no level): column, value, rows.",
    )
    download: str | None = Field(
        default=None, description="The CSV's path once the run succeeded (GET it)."
    )
