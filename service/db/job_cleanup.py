"""Deleting finished jobs: one job on request, or every one past the retention period.

A job is deleted with its history (epoch rows), runs and checkpoint, in one transaction and
only while it is finished (succeeded, failed or cancelled): the conditions are part of the
DELETE statements, so a second process doing the same finds nothing left to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.db.jobs_repo import TERMINAL
from service.db.models import (
    EpochRow,
    Job,
    JobCheckpoint,
    JobRun,
    ScoreChunk,
    TrainedModel,
    utcnow,
)

PRUNE_BATCH = 200
"""Jobs one retention pass deletes at most (the next pass goes on with the rest)."""


@dataclass(frozen=True)
class DeletedJob:
    """What went: the job's id and the id of its model when that was deleted too."""

    job_id: str
    model_id: str | None


def delete_finished_job(
    session: Session, job_id: str, *, delete_model: bool = False
) -> DeletedJob | None:
    """Delete a finished job (or scoring run, with its CSV chunks) with its epoch rows, runs
    and checkpoint; with `delete_model` (training jobs only)
    also the model it trained. None (and nothing changed) when the job does not exist or is
    not finished. Commits."""
    finished = (Job.id == job_id) & Job.status.in_(TERMINAL)
    row = session.execute(select(Job.tenant_id, Job.model_id).where(finished)).first()
    if row is None:
        return None
    is_finished = select(Job.id).where(finished).exists()
    for table in (EpochRow, JobRun, JobCheckpoint, ScoreChunk):
        session.execute(delete(table).where(table.job_id == job_id, is_finished))
    if session.execute(delete(Job).where(finished)).rowcount != 1:
        session.rollback()
        return None
    model_id = None
    if delete_model and row.model_id:
        gone = session.execute(
            delete(TrainedModel).where(
                TrainedModel.id == row.model_id, TrainedModel.tenant_id == row.tenant_id
            )
        )
        model_id = row.model_id if gone.rowcount else None
    session.commit()
    return DeletedJob(job_id, model_id)


def prune_finished_jobs(
    session: Session, retention_days: float, now: datetime | None = None
) -> list[str]:
    """Delete up to PRUNE_BATCH finished jobs that ended more than `retention_days` ago
    (their models stay); returns their ids. Safe to run in several processes at once."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    ended = func.coalesce(Job.finished_at, Job.created_at)
    ids = session.scalars(
        select(Job.id)
        .where(Job.status.in_(TERMINAL), ended < cutoff)
        .order_by(ended)
        .limit(PRUNE_BATCH)
    ).all()
    return [job_id for job_id in ids if delete_finished_job(session, job_id) is not None]
