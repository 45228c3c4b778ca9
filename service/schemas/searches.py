"""Search requests and responses: a job body plus space, strategy, objective, pruning."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import StrictModel, Timestamp, with_examples
from service.schemas.jobs import JobCreate

SearchStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
TrialStatus = Literal["queued", "running", "succeeded", "failed", "cancelled", "pruned"]
METRICS = ("val_loss", "val_accuracy", "val_r2", "val_mae", "loss", "accuracy", "r2", "mae")
MAXIMIZED = ("val_accuracy", "val_r2", "accuracy", "r2")

SEARCH_EXAMPLE = {
    "dataset_id": "6f1c1a8e-1f7e-4c1e-9a55-2b0b7c0c1d2e",
    "network": {
        "layers": [
            {"type": "dense", "units": 32, "activation": "relu"},
            {"type": "dense", "units": 32, "activation": "relu"},
            {"type": "dense", "units": 3, "activation": "softmax"},
        ]
    },
    "training": {"epochs": 20, "batch_size": 32, "validation_split": 0.2},
    "space": {
        "training.optimizer.learning_rate": {"loguniform": [1e-4, 3e-2]},
        "network.layers[1].units": {"choice": [16, 64, 128]},
    },
    "strategy": {"type": "random", "max_trials": 8, "parallelism": 2, "seed": 0},
    "objective": {"metric": "val_loss"},
    "pruning": {"type": "asha", "min_epochs": 2, "reduction_factor": 3},
}


class StrategySpec(StrictModel):
    """How trials are picked: grid (the product of choices), random or TPE."""

    model_config = with_examples({"type": "tpe", "max_trials": 20, "parallelism": 4, "seed": 0})
    type: Literal["grid", "random", "tpe"] = "random"
    max_trials: int = Field(default=10, ge=1, le=100000)
    parallelism: int = Field(default=1, ge=1, le=10000, description="Trials running at once.")
    seed: int = Field(default=0, ge=0, le=2**32 - 1)


class ObjectiveSpec(StrictModel):
    """The validation metric to optimise; the direction defaults from the metric."""

    model_config = with_examples({"metric": "val_accuracy", "direction": "maximize"})
    metric: Literal[METRICS] = "val_loss"  # type: ignore[valid-type]
    direction: Literal["minimize", "maximize"] | None = None

    def resolved(self) -> dict[str, str]:
        direction = self.direction or ("maximize" if self.metric in MAXIMIZED else "minimize")
        return {"metric": self.metric, "direction": direction}


class PruningSpec(StrictModel):
    """Stop unpromising trials between mini-batches, judged on their epoch histories.

    asha: successive halving (about 1/reduction_factor of the trials at each rung of
    min_epochs * reduction_factor**k epochs go on); median: stop a trial whose value is
    worse than the median of finished trials at the same epoch."""

    model_config = with_examples({"type": "asha", "min_epochs": 2, "reduction_factor": 3})
    type: Literal["asha", "median"]
    min_epochs: int = Field(default=1, ge=1, le=100000)
    reduction_factor: int = Field(default=3, ge=2, le=100)
    startup_trials: int = Field(default=3, ge=0, le=100000, description="median only")


class SearchCreate(JobCreate):
    """POST /v1/searches body: a job body plus the search."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SEARCH_EXAMPLE]})
    space: dict[str, dict[str, Any]] = Field(
        description='{path: range}: {"choice": [...]}, {"uniform": [lo, hi]}, '
        '{"loguniform": [lo, hi]} or {"int": [lo, hi], "step": s}.',
        min_length=1,
        max_length=50,
    )
    strategy: StrategySpec = Field(default_factory=StrategySpec)
    objective: ObjectiveSpec = Field(default_factory=ObjectiveSpec)
    pruning: PruningSpec | None = None


class Best(BaseModel):
    """The best finished trial so far."""

    job_id: str
    trial: int
    model_id: str | None
    params: dict[str, Any]
    value: float


class TrialCounts(BaseModel):
    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    pruned: int = 0


class SearchOut(BaseModel):
    """A search: status, trial counts, progress, ETA and the best trial."""

    id: str
    status: SearchStatus
    dataset_id: str
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    error: str | None
    cancel_requested: bool
    space: dict[str, Any]
    strategy: dict[str, Any]
    objective: dict[str, Any]
    pruning: dict[str, Any] | None
    total_trials: int
    trials: TrialCounts
    progress: float = Field(description="Fraction of the trials' epochs done, 0 to 1.")
    eta_seconds: float | None
    best: Best | None


class TrialOut(BaseModel):
    """One trial: its params, status, objective value, epochs run and job."""

    trial: int
    job_id: str
    status: TrialStatus
    params: dict[str, Any]
    value: float | None
    epochs_run: int
    started_at: Timestamp | None
    finished_at: Timestamp | None
    model_id: str | None
    error: str | None


class TrialsOut(BaseModel):
    search_id: str
    objective: dict[str, Any]
    trials: list[TrialOut]
