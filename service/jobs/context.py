"""JobContext: what the runner read about a claimed job and its dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.jobs.plan import JobPlan


@dataclass(frozen=True)
class JobContext:
    """A claimed job: its ids, this attempt, its plan and its runtime budget (seconds)."""

    job_id: str
    tenant_id: str
    dataset_id: str
    attempt: int
    plan: JobPlan
    input_schema: dict[str, Any]
    max_runtime: float | None
    runtime_before: float
    search_id: str | None = None
    """The search this job is a trial of: its pruner judges each write of epoch rows."""
    trial: int | None = None
    """The trial's number in its search (from 0), for the model's lineage."""
    spec: dict[str, Any] = field(default_factory=dict)
    """The job's full spec as stored (network and training, defaults filled in)."""
    dataset_sha256: str | None = None
    """The dataset's content fingerprint (service.data.fingerprint)."""
