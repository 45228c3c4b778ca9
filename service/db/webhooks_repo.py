"""Webhooks and the delivery outbox. Every step of a delivery is one conditional UPDATE, so
two deliverers never send the same attempt, and a deliverer that died holding an attempt
only delays it (the claim runs out and the attempt is sent again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from service.db import jobs_repo  # a module import: jobs_repo imports this through outbox
from service.db.webhook_models import Webhook, WebhookDelivery

MAX_BACKOFF_SECONDS = 3600.0


def create_webhook(
    session: Session, tenant_id: str, url: str, events: list[str], secret: str
) -> Webhook:
    """Insert a webhook (the caller commits)."""
    hook = Webhook(tenant_id=tenant_id, url=url, events=events, secret=secret)
    session.add(hook)
    session.flush()
    return hook


def count_webhooks(session: Session, tenant_id: str) -> int:
    return session.scalar(select(func.count()).where(Webhook.tenant_id == tenant_id)) or 0


def delete_webhook(session: Session, webhook_id: str) -> None:
    """Delete a webhook with its deliveries, pending ones included."""
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id))
    session.execute(delete(Webhook).where(Webhook.id == webhook_id))
    session.commit()


def tenant_webhooks(session: Session, tenant_id: str) -> list[Webhook]:
    return list(session.scalars(select(Webhook).where(Webhook.tenant_id == tenant_id)))


def add_deliveries(
    session: Session, webhook_ids: list[str], event_id: str, event: str, body: str
) -> None:
    """One pending delivery of the event per webhook, due now, in the caller's transaction."""
    session.add_all(
        WebhookDelivery(
            webhook_id=webhook_id,
            event_id=event_id,
            event=event,
            body=body,
            next_attempt_at=jobs_repo.lease_now(session),
        )
        for webhook_id in webhook_ids
    )
    session.flush()


def due_deliveries(session: Session, limit: int) -> list[tuple[str, int]]:
    """(id, attempts) of pending deliveries whose time has come, the longest waiting first."""
    rows = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= jobs_repo.lease_now(session),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    ).all()
    return [(row.id, row.attempts) for row in rows]


@dataclass(frozen=True)
class Claimed:
    """One attempt this deliverer holds: what to send, where, and with which key."""

    delivery_id: str
    webhook_id: str
    attempt: int
    event_id: str
    event: str
    body: str
    url: str
    secret: str


def claim(
    session: Session, delivery_id: str, attempts: int, owner: str, hold_seconds: float
) -> Claimed | None:
    """Take attempt `attempts + 1` of a due delivery for `owner`, holding it `hold_seconds`
    (past the send's time-out); None when another deliverer took it first."""
    now = jobs_repo.lease_now(session)
    won = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.attempts == attempts,
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(
            attempts=attempts + 1,
            claimed_by=owner,
            next_attempt_at=now + timedelta(seconds=hold_seconds),
        )
    )
    session.commit()
    if won.rowcount != 1:
        return None
    row = session.execute(
        select(WebhookDelivery, Webhook.url, Webhook.secret)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id == delivery_id)
    ).one_or_none()
    if row is None:  # the webhook was deleted in between
        return None
    delivery, url, secret = row
    return Claimed(
        delivery_id=delivery_id,
        webhook_id=delivery.webhook_id,
        attempt=attempts + 1,
        event_id=delivery.event_id,
        event=delivery.event,
        body=delivery.body,
        url=url,
        secret=secret,
    )


def backoff_seconds(attempt: int, first: float) -> float:
    """Wait after failed attempt number `attempt` (1, 2, ...): first, 2 x first, 4 x first..."""
    return min(first * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)


def record_attempt(
    session: Session,
    claimed: Claimed,
    owner: str,
    *,
    status_code: int | None,
    error: str | None,
    max_attempts: int,
    first_backoff: float,
) -> str | None:
    """The outcome of the attempt: "delivered" (no error), "failed" (the last attempt
    failed) or "pending" (retried after a backoff); None when the attempt was no longer
    this deliverer's (its hold ran out and another deliverer sent it again)."""
    now = jobs_repo.lease_now(session)
    values: dict[str, Any] = {
        "claimed_by": None,
        "last_status_code": status_code,
        "last_error": None if error is None else error[:1000],
    }
    if error is None:
        values.update(status="delivered", delivered_at=now)
    elif claimed.attempt >= max_attempts:
        values.update(status="failed")
    else:
        wait = backoff_seconds(claimed.attempt, first_backoff)
        values.update(status="pending", next_attempt_at=now + timedelta(seconds=wait))
    done = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == claimed.delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.attempts == claimed.attempt,
            WebhookDelivery.claimed_by == owner,
        )
        .values(**values)
    )
    session.commit()
    return values["status"] if done.rowcount == 1 else None


def prune_finished(session: Session, older_than_days: float) -> int:
    """Delete delivered and failed deliveries created more than `older_than_days` ago;
    returns how many."""
    cutoff = jobs_repo.lease_now(session) - timedelta(days=older_than_days)
    done = session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_(("delivered", "failed")),
            WebhookDelivery.created_at < cutoff,
        )
    )
    session.commit()
    return done.rowcount
