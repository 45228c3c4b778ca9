"""Server-sent event frames, shared by the event streams."""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import select

from service.api.deps import authenticate
from service.config import Settings
from service.db.models import well_formed
from service.db.session import session_factory

RETRY_FRAME = "retry: 2000\n\n"
KEEPALIVE_FRAME = ": keep-alive\n\n"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: Any, event_id: int | None = None) -> str:
    """One server-sent event frame."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def check_owner_closing_session(
    request: Request,
    settings: Settings,
    credentials: HTTPAuthorizationCredentials | None,
    model: Any,
    object_id: str,
    what: str,
    *conditions: Any,
) -> str:
    """For a stream: check the key and that the `model` row is the tenant's (and meets the
    extra `conditions`; else 404) in a session closed at once (a stream holds none); returns
    the database URL to poll."""
    with session_factory(settings.sqlalchemy_url)() as session:
        _, tenant = authenticate(request, session, credentials)
        owner = None
        if well_formed(object_id):
            query = select(model.tenant_id).where(model.id == object_id, *conditions)
            owner = session.scalar(query)
        if owner is None or owner != tenant.id:
            raise HTTPException(404, f"{what} {object_id[:64]} not found")
    return settings.sqlalchemy_url
