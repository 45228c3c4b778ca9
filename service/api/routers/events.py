"""GET /v1/jobs/{id}/events: server-sent events read from the database until the job ends.

Events: `status` (on change), `epoch` (one per epoch record; id = the epoch number, so a
reconnect with Last-Event-ID resumes after it), `progress` (on change) and a final `end`,
in the order they happened: `status: running`, the epochs, then the final status.
The stream holds no database session between polls; training may run in another process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from service.api.deps import SettingsDep, bearer
from service.api.sse import check_owner_closing_session, sse
from service.db.jobs_repo import TERMINAL
from service.db.models import EpochRow, Job
from service.db.session import session_factory
from service.schemas.common import iso_utc

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
POLL_SECONDS = 0.3
KEEPALIVE_SECONDS = 15.0
EPOCH_BATCH = 500


@dataclass
class Snapshot:
    """What one poll read: the job's state and the epoch records after the last one sent."""

    job: dict[str, Any]
    epochs: list[dict[str, Any]] = field(default_factory=list)


def read_snapshot(url: str, job_id: str, after_epoch: int) -> Snapshot | None:
    """The job and its epoch records after `after_epoch`, in one short-lived session."""
    with session_factory(url)() as session:
        job = session.get(Job, job_id)
        if job is None:
            return None
        state = {
            "id": job.id,
            "status": job.status,
            "progress": job.progress,
            "metrics": job.metrics,
            "error": job.error,
            "model_id": job.model_id,
            "finished_at": iso_utc(job.finished_at),
        }
        # The job is read first: a terminal status means every epoch row is already committed.
        rows = session.scalars(
            select(EpochRow)
            .where(EpochRow.job_id == job_id, EpochRow.epoch > after_epoch)
            .order_by(EpochRow.epoch)
            .limit(EPOCH_BATCH)
        ).all()
        epochs = [
            {
                "epoch": r.epoch,
                "loss": r.loss,
                "val_loss": r.val_loss,
                "metrics": r.metrics,
                "seconds": r.seconds,
            }
            for r in rows
        ]
        return Snapshot(state, epochs)


async def event_stream(
    poll: Callable[[int], Any],
    last_epoch: int = 0,
    poll_seconds: float | None = None,
    keepalive_seconds: float | None = None,
) -> AsyncIterator[str]:
    """Frames from repeated polls until the job is in a terminal state (then `end`)."""
    poll_seconds = POLL_SECONDS if poll_seconds is None else poll_seconds
    keepalive_seconds = KEEPALIVE_SECONDS if keepalive_seconds is None else keepalive_seconds
    yield "retry: 2000\n\n"
    status = progress = None
    last_sent = time.monotonic()
    while True:
        snap: Snapshot | None = await poll(last_epoch)
        if snap is None:  # deleted while streaming
            yield sse("end", {"status": "deleted"})
            return
        frames: list[str] = []
        # In the order things happened: a job runs before its epochs and ends after all of
        # them, so a job that ended since the last poll (or before the stream opened) is
        # shown running, then its epochs, then its end status and final progress.
        ended = snap.job["status"] in TERMINAL
        if ended and snap.epochs and status != "running":
            status = "running"
            frames.append(sse("status", _status_data({**snap.job, **RUNNING})))
        if snap.job["status"] != status and not ended:
            status = snap.job["status"]
            frames.append(sse("status", _status_data(snap.job)))
        for record in snap.epochs:
            last_epoch = record["epoch"]
            frames.append(sse("epoch", record, event_id=last_epoch))
        more = len(snap.epochs) >= EPOCH_BATCH  # the end waits until every epoch is out
        if snap.job["status"] != status and ended and not more:
            status = snap.job["status"]
            frames.append(sse("status", _status_data(snap.job)))
        fresh = snap.job["progress"] != progress and snap.job["progress"] is not None
        if fresh and not (ended and more):
            progress = snap.job["progress"]
            frames.append(sse("progress", progress))
        if frames:
            last_sent = time.monotonic()
            yield "".join(frames)
        if len(snap.epochs) >= EPOCH_BATCH:
            continue  # more records are waiting: no pause
        if status in TERMINAL:
            yield sse("end", _status_data(snap.job))
            return
        if not frames and time.monotonic() - last_sent >= keepalive_seconds:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(poll_seconds)


RUNNING = {"status": "running", "error": None, "model_id": None, "metrics": None,
           "finished_at": None}  # fmt: skip
"""The `status` data of a job that had not ended yet."""


def _status_data(job: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "status", "error", "model_id", "metrics", "finished_at")
    return {k: job[k] for k in keys}


def _resume_point(last_event_id: str | None) -> int:
    if not last_event_id:
        return 0
    try:
        value = int(last_event_id.strip())
        if value > 10**9:
            raise ValueError(value)
        return max(0, value)
    except ValueError as exc:
        raise HTTPException(422, "Last-Event-ID must be an epoch number") from exc


def owned_job_url(
    job_id: str,
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """Check the key and that the job is the tenant's (else 404), closing the session at once."""
    training = Job.kind == "train"  # scoring runs have no event stream
    return check_owner_closing_session(request, settings, credentials, Job, job_id, "job", training)


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "events `status`, `epoch` (id = epoch), `progress` and `end`",
        }
    },
)
async def job_events(
    job_id: str,
    url: Annotated[str, Depends(owned_job_url)],
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Live progress: status changes, one `epoch` event per record, then `end` when it ends.

    Reconnect with `Last-Event-ID: <epoch>` to resume after that epoch.
    """
    after = _resume_point(last_event_id)

    async def poll(after_epoch: int) -> Snapshot | None:
        return await run_in_threadpool(read_snapshot, url, job_id, after_epoch)

    return StreamingResponse(
        event_stream(poll, after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
