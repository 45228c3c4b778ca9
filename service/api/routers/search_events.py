"""GET /v1/searches/{id}/events: server-sent events read from the database until the
search ends.

Events: `status` (on change), `trial_started`, `trial_ended` (with status, value, epochs
run), `best` (a new best trial), `progress` (fraction, ETA, counts; on change) and a final
`end`. A reconnect starts over from the search's current state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from service.api.deps import SettingsDep, bearer
from service.api.sse import (
    KEEPALIVE_FRAME,
    RETRY_FRAME,
    SSE_HEADERS,
    check_owner_closing_session,
    sse,
)
from service.db.models import Search
from service.db.session import session_factory
from service.search.scheduler import TERMINAL
from service.search.views import search_out, trials_out

router = APIRouter(prefix="/v1/searches", tags=["searches"])
POLL_SECONDS = 0.5
KEEPALIVE_SECONDS = 15.0


def read_search(url: str, search_id: str) -> dict[str, Any] | None:
    """The search and its trials as JSON, in one short-lived session."""
    with session_factory(url)() as session:
        search = session.get(Search, search_id)
        if search is None:
            return None
        out = search_out(session, search).model_dump(mode="json")
        out["trial_list"] = trials_out(session, search).model_dump(mode="json")["trials"]
        return out


def _frames(snap: dict[str, Any], seen: dict[int, str], last: dict[str, Any]) -> list[str]:
    """Frames for what changed since the previous snapshot (`seen`, `last` are updated)."""
    frames = []
    if snap["status"] != last.get("status"):
        last["status"] = snap["status"]
        frames.append(sse("status", _summary(snap)))
    for trial in snap["trial_list"]:
        before = seen.get(trial["trial"])
        if trial["status"] == before:
            continue
        seen[trial["trial"]] = trial["status"]
        if trial["status"] == "running" or (before in (None, "queued") and trial["started_at"]):
            frames.append(sse("trial_started", trial))
        if trial["status"] not in ("queued", "running"):
            frames.append(sse("trial_ended", trial))
    best = snap["best"]
    if best and best["job_id"] != last.get("best"):
        last["best"] = best["job_id"]
        frames.append(sse("best", best))
    progress = {k: snap[k] for k in ("progress", "eta_seconds", "trials")}
    if progress != last.get("progress"):
        last["progress"] = progress
        frames.append(sse("progress", progress))
    return frames


def _summary(snap: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "status", "error", "finished_at", "best", "trials", "total_trials")
    return {k: snap[k] for k in keys}


async def search_stream(
    poll: Callable[[], Awaitable[dict[str, Any] | None]],
    poll_seconds: float = POLL_SECONDS,
    keepalive_seconds: float = KEEPALIVE_SECONDS,
) -> AsyncIterator[str]:
    """Frames from repeated polls until the search has ended (then `end`)."""
    yield RETRY_FRAME
    seen: dict[int, str] = {}
    last: dict[str, Any] = {}
    last_sent = time.monotonic()
    while True:
        snap = await poll()
        if snap is None:  # deleted while streaming
            yield sse("end", {"status": "deleted"})
            return
        frames = _frames(snap, seen, last)
        if frames:
            last_sent = time.monotonic()
            yield "".join(frames)
        if snap["status"] in TERMINAL:
            yield sse("end", _summary(snap))
            return
        if not frames and time.monotonic() - last_sent >= keepalive_seconds:
            last_sent = time.monotonic()
            yield KEEPALIVE_FRAME
        await asyncio.sleep(poll_seconds)


def owned_search_url(
    search_id: str,
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """Check the key and that the search is the tenant's (else 404), closing the session."""
    return check_owner_closing_session(request, settings, credentials, Search, search_id, "search")


@router.get(
    "/{search_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "events `status`, `trial_started`, `trial_ended`, `best`, "
            "`progress` and `end`",
        }
    },
)
async def search_events(
    search_id: str, url: Annotated[str, Depends(owned_search_url)]
) -> StreamingResponse:
    """Live search: trials starting and ending, each new best, progress, then `end`."""

    async def poll() -> dict[str, Any] | None:
        return await run_in_threadpool(read_search, url, search_id)

    return StreamingResponse(
        search_stream(poll), media_type="text/event-stream", headers=SSE_HEADERS
    )
