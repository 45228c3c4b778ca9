"""Writing events: a pending delivery per subscribed webhook, in the caller's transaction.

Called next to every state change it reports, before that change commits, so an event is
stored exactly when its change is (at least once delivery starts here).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import webhooks_repo
from service.db.models import Job, new_id, utcnow
from service.events.names import matches
from service.schemas.jobs import job_out


def envelope(event_id: str, event: str, data: dict[str, Any]) -> str:
    """The JSON body of an event: {"id", "event", "created_at", "data"}."""
    created = utcnow().isoformat().replace("+00:00", "Z")
    body = {"id": event_id, "event": event, "created_at": created, "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def subscribers(session: Session, tenant_id: str, event: str) -> list[str]:
    """Ids of the tenant's webhooks that get `event`."""
    hooks = webhooks_repo.tenant_webhooks(session, tenant_id)
    return [hook.id for hook in hooks if matches(hook.events, event)]


def record(session: Session, tenant_id: str, event: str, data: dict[str, Any]) -> str | None:
    """Store `event` for every subscribed webhook; returns its id (None: nobody listens)."""
    return _store(session, subscribers(session, tenant_id, event), event, data)


def _store(
    session: Session, webhook_ids: list[str], event: str, data: dict[str, Any]
) -> str | None:
    if not webhook_ids:
        return None
    event_id = new_id()
    body = envelope(event_id, event, data)
    webhooks_repo.add_deliveries(session, webhook_ids, event_id, event, body)
    return event_id


def record_job_transition(session: Session, job_id: str) -> str | None:
    """Store "job.<its status now>" with the job as GET /v1/jobs/{id} shows it; call it
    after the UPDATE of a transition, before its commit. Batch scoring runs (job rows of
    kind "score") send no job events."""
    query = select(Job.tenant_id, Job.status, Job.kind).where(Job.id == job_id)
    row = session.execute(query).one_or_none()
    if row is None or row.kind != "train":
        return None
    tenant_id, status, _ = row
    event = f"job.{status}"
    webhook_ids = subscribers(session, tenant_id, event)
    if not webhook_ids:
        return None
    job = session.execute(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    ).scalar_one()
    return _store(session, webhook_ids, event, job_out(job).model_dump(mode="json"))
