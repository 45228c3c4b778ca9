"""The job state machine. Every transition is one conditional UPDATE; the database decides.

queued -> running (claim, attempt+1, lease owner) -> succeeded | failed | cancelled.
Writes by a worker are fenced on (status='running', lease_owner=owner): a worker that lost
its lease, or a duplicate delivery that lost the claim, changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from service.db.models import Job, JobCheckpoint, JobRun, TrainedModel, utcnow
from service.events import outbox

TERMINAL = ("succeeded", "failed", "cancelled")
STATUSES = ("queued", "running", *TERMINAL)


def create_job(
    session: Session, tenant_id: str, dataset_id: str, spec: dict[str, Any], max_attempts: int
) -> Job:
    """Insert a queued job (the caller commits before publishing it)."""
    job = Job(
        tenant_id=tenant_id,
        dataset_id=dataset_id,
        spec=spec,
        status="queued",
        max_attempts=max_attempts,
    )
    session.add(job)
    session.flush()
    return job


def mark_published(session: Session, job_id: str) -> None:
    """Remember when the job was last handed to the transport (for the reconciler)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(published_at=utcnow(), publish_count=Job.publish_count + 1)
    )


def lease_now(session: Session) -> Any:
    """The clock for heartbeats and lease cutoffs: PostgreSQL's own ``now()`` (one clock for
    workers and reapers on different hosts, so clock skew cannot requeue a live job), this
    host's clock on SQLite (one host anyway)."""
    return func.now() if session.get_bind().dialect.name == "postgresql" else utcnow()


def claim(session: Session, job_id: str, owner: str) -> bool:
    """queued -> running for `owner`; False when another worker has it or it is not queued.

    A job whose cancel was asked is claimable only when the user asked to keep a model:
    the worker then saves its checkpoint's finished epoch as the model and ends cancelled.
    """
    now = lease_now(session)
    result = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.status == "queued",
            or_(Job.cancel_requested.is_(False), Job.keep_model_on_cancel.is_(True)),
        )
        .values(
            status="running",
            lease_owner=owner,
            attempt=Job.attempt + 1,
            heartbeat_at=now,
            started_at=func.coalesce(Job.started_at, now),
        )
    )
    won = result.rowcount == 1
    if won:
        outbox.record_job_transition(session, job_id)
    session.commit()
    if won:
        return True
    # A retried claim whose first commit went through but whose reply was lost (e.g. the
    # database restarted) finds the job already running under this call's unique owner.
    return session.scalar(select(func.count()).where(fenced(job_id, owner))) == 1


def fenced(job_id: str, owner: str):  # noqa: ANN201
    """WHERE clause: the job is running and `owner` holds its lease."""
    return and_(Job.id == job_id, Job.status == "running", Job.lease_owner == owner)


def heartbeat(session: Session, job_id: str, owner: str) -> bool:
    """Refresh the lease; False when the lease is lost."""
    result = session.execute(
        update(Job).where(fenced(job_id, owner)).values(heartbeat_at=lease_now(session))
    )
    session.commit()
    return result.rowcount == 1


def cancel_requested(session: Session, job_id: str) -> bool:
    """Whether the user asked to cancel this job."""
    return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def finish(
    session: Session,
    job_id: str,
    owner: str,
    status: str,
    *,
    error: str | None = None,
    metrics: dict[str, Any] | None = None,
    model: TrainedModel | None = None,
    last_epoch: int | None = None,
) -> bool:
    """running -> terminal `status`, written once and only by the lease owner.

    With `model`, the model row is added in the same transaction; with `last_epoch` (a
    succeeded job, also when early stopping ended it before its epochs) the progress ends
    complete at that epoch.
    """
    assert status in TERMINAL
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "error": error}
    if model is not None:
        values["model_id"] = model.id
    if metrics is not None:
        values["metrics"] = metrics
    if last_epoch is not None:
        before = session.scalar(select(Job.progress).where(Job.id == job_id))
        done = {"epoch": last_epoch, "fraction": 1.0, "eta_seconds": 0.0}
        values["progress"] = {**(before or {}), **done}
    result = session.execute(update(Job).where(fenced(job_id, owner)).values(**values))
    if result.rowcount != 1:
        session.rollback()
        return False
    if model is not None:
        session.add(model)
    end_open_run(session, job_id, owner, status, values["finished_at"])
    outbox.record_job_transition(session, job_id)
    session.commit()
    return True


def end_open_run(session: Session, job_id: str, owner: str, outcome: str, now: Any = None) -> None:
    """End `owner`'s run row of the job with `outcome` at `now` (a time or an SQL
    expression; default the present), unless it has ended already. Not committed: it goes
    with the job's own transition, so a worker killed right after that commit leaves no
    run without an outcome."""
    session.execute(
        update(JobRun)
        .where(JobRun.job_id == job_id, JobRun.owner == owner, JobRun.outcome.is_(None))
        .values(outcome=outcome, finished_at=utcnow() if now is None else now)
    )


def request_cancel(session: Session, job_id: str, keep_model: bool = False) -> None:
    """A queued job is cancelled at once; a running one is flagged for the worker to stop.

    keep_model: the job saves its last finished epoch as a model when it stops. A queued job
    that already trained (it has a checkpoint: its worker died or shut down) is flagged and
    left queued, so a worker claims it just to save that model and end it cancelled.
    """
    trained = select(JobCheckpoint.job_id).where(JobCheckpoint.job_id == job_id).exists()
    queued = and_(Job.id == job_id, Job.status == "queued")
    if keep_model:
        session.execute(
            update(Job)
            .where(queued, trained)
            .values(cancel_requested=True, keep_model_on_cancel=True)
        )
    else:  # also overrides an earlier cancel that asked to keep a model
        session.execute(update(Job).where(queued).values(keep_model_on_cancel=False))
    cancelled = session.execute(
        update(Job)
        .where(queued, or_(Job.cancel_requested.is_(False), Job.keep_model_on_cancel.is_(False)))
        .values(status="cancelled", finished_at=utcnow(), cancel_requested=True)
    )
    if cancelled.rowcount:
        outbox.record_job_transition(session, job_id)
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(cancel_requested=True, keep_model_on_cancel=keep_model)
    )
    session.commit()


def release_stale(session: Session, lease_seconds: float, now: datetime | None = None) -> list[str]:
    """Requeue running jobs with a stale heartbeat; cancel them when a cancel was asked;
    fail them past max_attempts. Returns the ids put back in the queue, to republish.

    Each transition is a conditional UPDATE that re-checks the stale heartbeat and the
    cancel flag, so a heartbeat or a cancel landing after the SELECT is never overridden.
    """
    now = lease_now(session) if now is None else now
    cutoff = now - timedelta(seconds=lease_seconds)
    stale = session.execute(
        select(Job.id, Job.lease_owner, Job.attempt).where(
            Job.status == "running", Job.heartbeat_at < cutoff
        )
    ).all()
    requeued: list[str] = []
    for job_id, owner, attempt in stale:
        base = and_(fenced(job_id, owner or ""), Job.heartbeat_at < cutoff)
        keeps = and_(Job.keep_model_on_cancel.is_(True), Job.attempt < Job.max_attempts)
        transitions: list[tuple[Any, dict[str, Any]]] = [
            (  # a cancelled job that should keep a model goes back for a worker to save it
                and_(Job.cancel_requested.is_(True), keeps),
                {"status": "queued", "lease_owner": None, "publish_count": 0},
            ),
            (
                and_(Job.cancel_requested.is_(True), ~keeps),
                {"status": "cancelled", "finished_at": now},
            ),
            (
                and_(Job.cancel_requested.is_(False), Job.attempt >= Job.max_attempts),
                {
                    "status": "failed",
                    "finished_at": now,
                    "error": f"worker lost {attempt} times (max_attempts reached)",
                },
            ),
            (
                and_(Job.cancel_requested.is_(False), Job.attempt < Job.max_attempts),
                {"status": "queued", "lease_owner": None, "publish_count": 0},
            ),
        ]
        for condition, values in transitions:
            if session.execute(update(Job).where(base, condition).values(**values)).rowcount:
                end_open_run(session, job_id, owner or "", "worker-lost", now)
                outbox.record_job_transition(session, job_id)
                if values["status"] == "queued":
                    requeued.append(job_id)
                break
    session.commit()
    return requeued


MAX_BACKOFF_DOUBLINGS = 6


def unpublished_queued(session: Session, older_than_seconds: float) -> list[str]:
    """Queued jobs to (re)publish: never published, or not claimed long after the last
    publish. The wait doubles with each publish (up to 64x older_than_seconds), so a job
    waiting behind busy workers does not flood the queue with duplicates."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    rows = session.execute(
        select(Job.id, Job.published_at, Job.publish_count).where(
            Job.status == "queued", (Job.published_at.is_(None)) | (Job.published_at < cutoff)
        )
    ).all()
    due = []
    for job_id, published_at, count in rows:
        if published_at is None:
            due.append(job_id)
            continue
        if published_at.tzinfo is None:  # SQLite hands back naive UTC
            published_at = published_at.replace(tzinfo=now.tzinfo)
        wait = older_than_seconds * 2 ** min(max(count - 1, 0), MAX_BACKOFF_DOUBLINGS)
        if (now - published_at).total_seconds() >= wait:
            due.append(job_id)
    return due
