"""Batch scoring runs: job rows of kind "score" and their output chunks.

A run is a Job (kind "score", spec {"model_id", "chunk_rows"}), so claim, heartbeat,
cancel, release and the reaper are jobs_repo's, unchanged. Each chunk of output is written
in ONE transaction with the run's progress, fenced on the lease: after a crash the stored
chunks and the progress agree, and a resumed run starts at the first missing chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.db.jobs_repo import fenced, lease_now
from service.db.models import Job, ScoreChunk

SCORE, TRAIN = "score", "train"


def create_score_run(
    session: Session,
    tenant_id: str,
    model_id: str,
    dataset_id: str,
    chunk_rows: int,
    max_attempts: int,
) -> Job:
    """Insert a queued scoring run (the caller commits before publishing it)."""
    run = Job(
        tenant_id=tenant_id,
        kind=SCORE,
        dataset_id=dataset_id,
        model_id=model_id,
        spec={"model_id": model_id, "chunk_rows": chunk_rows},
        status="queued",
        max_attempts=max_attempts,
    )
    session.add(run)
    session.flush()
    return run


def job_kind(session: Session, job_id: str) -> str | None:
    """The job's kind, or None when there is no such job."""
    return session.scalar(select(Job.kind).where(Job.id == job_id))


def chunks_done(session: Session, job_id: str) -> int:
    """How many chunks are stored: a resumed run continues with chunk number this."""
    return session.scalar(select(func.count()).where(ScoreChunk.job_id == job_id)) or 0


def save_chunk(
    session: Session,
    job_id: str,
    owner: str,
    chunk: tuple[int, int, int, bytes],
    progress: dict[str, Any],
    metrics: dict[str, Any],
) -> bool:
    """Store chunk (number, first_row, rows, csv bytes) with the progress, fenced on the
    lease; False, writing nothing, when this worker no longer owns the run. A chunk already
    stored (a retried commit whose reply was lost) is kept as it is."""
    number, first_row, rows, csv = chunk
    won = session.execute(
        update(Job)
        .where(fenced(job_id, owner))
        .values(progress=progress, metrics=metrics, heartbeat_at=lease_now(session))
    )
    if won.rowcount != 1:
        session.rollback()
        return False
    if session.get(ScoreChunk, (job_id, number)) is None:
        session.add(
            ScoreChunk(job_id=job_id, chunk=number, first_row=first_row, rows=rows, csv=csv)
        )
    session.commit()
    return True


def iter_chunks(session: Session, job_id: str) -> Iterator[bytes]:
    """The run's CSV, one chunk at a time in order (one chunk in memory)."""
    numbers = session.scalars(
        select(ScoreChunk.chunk).where(ScoreChunk.job_id == job_id).order_by(ScoreChunk.chunk)
    ).all()
    for number in numbers:
        yield session.scalar(
            select(ScoreChunk.csv).where(ScoreChunk.job_id == job_id, ScoreChunk.chunk == number)
        )
