"""Job requests and responses."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.jobs.resolved import job_task, resolved_spec
from service.schemas.common import StrictModel, Timestamp
from service.schemas.network import NetworkSpec
from service.schemas.training import TrainingSpec

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]

JOB_EXAMPLE = {
    "dataset_id": "6f1c1a8e-1f7e-4c1e-9a55-2b0b7c0c1d2e",
    "network": {
        "layers": [
            {"type": "dense", "units": 64, "activation": "relu"},
            {"type": "dropout", "rate": 0.1},
            {"type": "dense", "units": 3, "activation": "softmax"},
        ]
    },
    "training": {
        "loss": "cross_entropy",
        "optimizer": {"type": "adam", "learning_rate": 0.001},
        "epochs": 50,
        "batch_size": 32,
        "validation_split": 0.2,
        "seed": 0,
        "early_stopping": {"patience": 5},
    },
}


class JobCreate(StrictModel):
    """POST /v1/jobs body."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [JOB_EXAMPLE]})

    dataset_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    network: NetworkSpec
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    max_runtime_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Fail the job (keeping its checkpoint) past this much training time; "
        "default: the server's BACKPROP_MAX_RUNTIME_SECONDS.",
    )


class CancelRequest(StrictModel):
    """POST /v1/jobs/{id}/cancel body (optional)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"keep_model": True}]}
    )

    keep_model: bool = Field(
        default=False,
        description="Save the weights of the last finished epoch (the best one with "
        "restore_best) as a model. A queued job that already trained stays queued until a "
        "worker has saved it.",
    )


class Progress(BaseModel):
    """Where a running job is: epoch of epochs, speed and time left."""

    epoch: int
    epochs: int
    fraction: float
    samples_per_second: float | None = None
    eta_seconds: float | None = None


class JobOut(BaseModel):
    """A job: status, progress, latest metrics, error and model id."""

    id: str
    status: JobStatus
    dataset_id: str
    attempt: int
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    progress: Progress | None
    metrics: dict[str, Any] | None
    error: str | None
    model_id: str | None
    cancel_requested: bool
    max_runtime_seconds: float | None
    network: dict[str, Any]
    training: dict[str, Any]
    search_id: str | None = Field(default=None, description="The search this job is a trial of.")
    trial: int | None = Field(default=None, description="Its trial number in that search.")
    params: dict[str, Any] | None = Field(
        default=None, description="The trial's sampled values by space path."
    )


_SPEC_PARTS = ("network", "training")
"""JobOut fields read from the job's spec; every other field is the row's column of that name."""


def job_out(job: Any) -> JobOut:
    """The public view of a job row (service.db.models.Job), its spec with the defaults
    training used filled in."""
    columns = {name: getattr(job, name) for name in JobOut.model_fields if name not in _SPEC_PARTS}
    spec = resolved_spec(job.spec, job_task(job))
    return JobOut(**columns, **{part: spec[part] for part in _SPEC_PARTS})


class EpochOut(BaseModel):
    """One finished epoch of a job."""

    epoch: int
    loss: float
    val_loss: float | None
    metrics: dict[str, float]
    seconds: float


class HistoryOut(BaseModel):
    """Every finished epoch of a job, in order."""

    job_id: str
    status: JobStatus
    epochs: list[EpochOut]
