"""Checkpoints and runs: what a worker saves each epoch and the record of each attempt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, select, update
from sqlalchemy.orm import Session

from service.db.jobs_repo import end_open_run, fenced, lease_now
from service.db.models import EpochRow, Job, JobCheckpoint, JobRun, utcnow
from service.events import outbox


def save_epochs(
    session: Session,
    job_id: str,
    owner: str,
    records: list[dict[str, Any]],
    progress: dict[str, Any],
    *,
    checkpoint: tuple[int, dict[str, Any], bytes] | None,
    runtime_seconds: float,
    attempt: int,
) -> bool:
    """Epoch rows (oldest first), progress and checkpoint (epoch, meta, npz) in ONE
    transaction, fenced on the lease.

    So after a crash the history and the checkpoint always agree: no gaps, no repeats (a
    row that already exists, from an earlier attempt, is kept). Returns False, writing
    nothing, when this worker no longer owns the job.
    """
    won = session.execute(
        update(Job)
        .where(fenced(job_id, owner))
        .values(
            progress=progress,
            metrics={
                "epoch": records[-1]["epoch"],
                "loss": records[-1]["loss"],
                "val_loss": records[-1]["val_loss"],
                **records[-1]["metrics"],
            },
            heartbeat_at=lease_now(session),
            runtime_seconds=runtime_seconds,
        )
    )
    if won.rowcount != 1:
        session.rollback()
        return False
    epochs = [r["epoch"] for r in records]
    existing = set(
        session.scalars(
            select(EpochRow.epoch).where(EpochRow.job_id == job_id, EpochRow.epoch.in_(epochs))
        )
    )
    session.add_all(
        EpochRow(
            job_id=job_id,
            epoch=r["epoch"],
            loss=r["loss"],
            val_loss=r.get("val_loss"),
            metrics=r["metrics"],
            seconds=r["seconds"],
        )
        for r in records
        if r["epoch"] not in existing
    )
    if checkpoint is not None:
        epoch, meta, arrays = checkpoint
        _upsert_checkpoint(session, job_id, epoch, (meta, arrays), attempt)
    session.commit()
    return True


def save_checkpoint(
    session: Session,
    job_id: str,
    owner: str,
    epoch: int,
    checkpoint: tuple[dict[str, Any], bytes],
    attempt: int,
) -> bool:
    """Only the checkpoint (its epoch rows are already written), fenced on the lease."""
    won = session.execute(
        update(Job).where(fenced(job_id, owner)).values(heartbeat_at=lease_now(session))
    )
    if won.rowcount != 1:
        session.rollback()
        return False
    _upsert_checkpoint(session, job_id, epoch, checkpoint, attempt)
    session.commit()
    return True


def _upsert_checkpoint(
    session: Session,
    job_id: str,
    epoch: int,
    checkpoint: tuple[dict[str, Any], bytes],
    attempt: int,
) -> None:
    meta, arrays = checkpoint
    row = session.get(JobCheckpoint, job_id)
    if row is None:
        session.add(
            JobCheckpoint(job_id=job_id, epoch=epoch, attempt=attempt, meta=meta, arrays=arrays)
        )
    else:
        row.epoch, row.attempt, row.meta, row.arrays = epoch, attempt, meta, arrays
        row.updated_at = utcnow()


def load_checkpoint(session: Session, job_id: str) -> JobCheckpoint | None:
    """The job's latest checkpoint (arrays loaded), or None."""
    row = session.get(JobCheckpoint, job_id)
    if row is not None:
        _ = row.arrays
    return row


def release(session: Session, job_id: str, owner: str) -> bool:
    """running -> queued for a graceful stop (SIGTERM); the attempt is given back.

    A job whose cancellation was requested meanwhile ends cancelled instead, unless the
    cancel asked to keep a model: then a worker claims it again just to save that model.
    """
    cancelled = and_(Job.cancel_requested.is_(True), Job.keep_model_on_cancel.is_(False))
    result = session.execute(
        update(Job)
        .where(fenced(job_id, owner))
        .values(
            status=case((cancelled, "cancelled"), else_="queued"),
            finished_at=case((cancelled, utcnow()), else_=None),
            lease_owner=None,
            attempt=case((cancelled, Job.attempt), else_=Job.attempt - 1),
            published_at=None,
            publish_count=0,
        )
    )
    if result.rowcount == 1:
        end_open_run(session, job_id, owner, "requeued")
        outbox.record_job_transition(session, job_id)
    session.commit()
    return result.rowcount == 1


def start_run(session: Session, job_id: str, attempt: int, owner: str, resumed_from: int) -> None:
    """Record that `owner` started attempt `attempt` (resuming after epoch `resumed_from`)."""
    session.add(
        JobRun(job_id=job_id, attempt=attempt, owner=owner, resumed_from_epoch=resumed_from)
    )
    session.commit()


def end_run(session: Session, job_id: str, owner: str, outcome: str) -> None:
    """Record how this worker's attempt ended, unless the job's own transition (finish,
    release) has already ended its run row."""
    end_open_run(session, job_id, owner, outcome)
    session.commit()
