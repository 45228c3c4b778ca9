"""A search's trials read from their job rows: trial status, objective value, epochs run."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import EpochRow, Job

ACTIVE = ("queued", "running")
PRUNED = "pruned"


def trial_jobs(session: Session, search_id: str) -> list[Job]:
    """The search's trial jobs in trial order."""
    query = select(Job).where(Job.search_id == search_id).order_by(Job.trial)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def trial_status(job: Job) -> str:
    """The job's status, except `pruned` for a trial the pruner stopped."""
    if job.status == "cancelled" and job.stop_reason:
        return PRUNED
    return job.status


def metric_value(values: dict[str, Any] | None, metric: str) -> float | None:
    """`metric` from a job's metrics or an epoch's {loss, val_loss, metrics...}; None when
    absent or not finite."""
    if not values:
        return None
    value = values.get(metric)
    if value is None and isinstance(values.get("metrics"), dict):
        value = values["metrics"].get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def trial_value(job: Job, metric: str) -> float | None:
    """A finished trial's objective (its model's metrics); the latest epoch's otherwise."""
    return metric_value(job.metrics, metric)


def epochs_run(job: Job) -> int:
    return int((job.progress or {}).get("epoch") or 0)


def epoch_values(session: Session, job_ids: list[str], metric: str) -> dict[str, dict[int, float]]:
    """{job id: {epoch: objective}} from the epoch rows of `job_ids`."""
    out: dict[str, dict[int, float]] = {job_id: {} for job_id in job_ids}
    if not job_ids:
        return out
    rows = session.execute(
        select(EpochRow.job_id, EpochRow.epoch, EpochRow.loss, EpochRow.val_loss, EpochRow.metrics)
        .where(EpochRow.job_id.in_(job_ids))
        .order_by(EpochRow.job_id, EpochRow.epoch)
    )
    for job_id, epoch, loss, val_loss, metrics in rows:
        value = metric_value({"loss": loss, "val_loss": val_loss, "metrics": metrics}, metric)
        if value is not None:
            out[job_id][epoch] = value
    return out


def best_trial(jobs: list[Job], objective: dict[str, str]) -> Job | None:
    """The succeeded trial with the best objective (the lowest trial number on ties)."""
    sign = -1.0 if objective["direction"] == "maximize" else 1.0
    scored = [
        (sign * value, job.trial or 0, job)
        for job in jobs
        if job.status == "succeeded"
        and (value := trial_value(job, objective["metric"])) is not None
    ]
    return min(scored, key=lambda s: (s[0], s[1]))[2] if scored else None
