"""JobContext: what the runner read about a claimed job and its dataset."""

from __future__ import annotations

from dataclasses import dataclass
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
