"""Every job transition writes its event in the transaction that makes it, or not at all."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from service.db import jobs_repo, runs_repo, webhooks_repo
from service.db.models import Job, utcnow
from service.db.webhook_models import WebhookDelivery
from service.events import outbox

SPEC = {"network": {"layers": []}, "training": {}}


def hook(sessions, tenant_id: str, events: list[str]) -> str:
    with sessions() as s:
        row = webhooks_repo.create_webhook(s, tenant_id, "http://x.test/", events, "secret-123")
        s.commit()
        return row.id


def queued_job(sessions, tenant_id: str, max_attempts: int = 3) -> str:
    """As POST /v1/jobs does: the job row and its job.queued event in one commit."""
    with sessions() as s:
        job = jobs_repo.create_job(s, tenant_id, "ds", SPEC, max_attempts)
        outbox.record_job_transition(s, job.id)
        s.commit()
        return job.id


def events(sessions, webhook_id: str) -> list[tuple[str, str]]:
    """(event, data.status) of the webhook's deliveries, oldest first."""
    with sessions() as s:
        rows = s.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.created_at)
        )
        return [(r.event, json.loads(r.body)["data"]["status"]) for r in rows]


def test_a_job_reports_queued_running_and_succeeded(sessions, tenant_id):
    everything, finals = hook(sessions, tenant_id, ["job.*"]), hook(sessions, tenant_id, ["*"])
    only_failed = hook(sessions, tenant_id, ["job.failed"])
    job_id = queued_job(sessions, tenant_id)
    with sessions() as s:
        assert jobs_repo.claim(s, job_id, "w1")
        assert not jobs_repo.claim(s, job_id, "w2")  # a lost claim reports nothing
        assert not jobs_repo.finish(s, job_id, "w2", "failed", error="x")  # nor a fenced write
        assert jobs_repo.finish(s, job_id, "w1", "succeeded", metrics={"loss": 0.1})
    expected = [("job.queued", "queued"), ("job.running", "running")]
    expected.append(("job.succeeded", "succeeded"))
    assert events(sessions, everything) == expected
    assert events(sessions, finals) == expected
    assert events(sessions, only_failed) == []
    with sessions() as s:
        row = s.scalars(select(WebhookDelivery).where(WebhookDelivery.event == "job.succeeded"))
        body = json.loads(row.first().body)
    assert set(body) == {"id", "event", "created_at", "data"}
    assert body["data"]["id"] == job_id and body["data"]["metrics"] == {"loss": 0.1}
    assert body["data"]["attempt"] == 1 and body["created_at"].endswith("Z")


def test_one_event_id_for_every_webhook_that_gets_it(sessions, tenant_id):
    a, b = hook(sessions, tenant_id, ["job.queued"]), hook(sessions, tenant_id, ["job.*"])
    queued_job(sessions, tenant_id)
    with sessions() as s:
        rows = list(s.scalars(select(WebhookDelivery)))
    assert sorted(r.webhook_id for r in rows) == sorted([a, b])
    assert len({r.event_id for r in rows}) == 1 and len({r.body for r in rows}) == 1


def test_a_rolled_back_transition_leaves_no_event(sessions, tenant_id):
    webhook = hook(sessions, tenant_id, ["job.*"])
    job_id = queued_job(sessions, tenant_id)
    with sessions() as s:
        s.execute(update(Job).where(Job.id == job_id).values(status="running"))
        outbox.record_job_transition(s, job_id)
        s.rollback()
    assert events(sessions, webhook) == [("job.queued", "queued")]


def test_other_tenants_webhooks_hear_nothing(sessions, tenant_id):
    from service.db.keys import get_or_create_tenant

    with sessions() as s:
        other = get_or_create_tenant(s, "other").id
        s.commit()
    theirs = hook(sessions, other, ["*"])
    queued_job(sessions, tenant_id)
    assert events(sessions, theirs) == []


def test_cancel_requeue_and_reaper_transitions_are_reported(sessions, tenant_id):
    webhook = hook(sessions, tenant_id, ["job.*"])
    cancelled_while_queued = queued_job(sessions, tenant_id)
    with sessions() as s:
        jobs_repo.request_cancel(s, cancelled_while_queued)
        jobs_repo.request_cancel(s, cancelled_while_queued)  # already cancelled: no second event
    lost = queued_job(sessions, tenant_id, max_attempts=2)
    for attempt in (1, 2):  # the worker dies twice: back to queued, then failed
        with sessions() as s:
            assert jobs_repo.claim(s, lost, f"w{attempt}")
            old = utcnow() - timedelta(seconds=120)
            s.execute(update(Job).where(Job.id == lost).values(heartbeat_at=old))
            s.commit()
            jobs_repo.release_stale(s, lease_seconds=60)
    handed_back = queued_job(sessions, tenant_id)
    with sessions() as s:
        assert jobs_repo.claim(s, handed_back, "w3")
        assert runs_repo.release(s, handed_back, "w3")  # graceful shutdown
    assert events(sessions, webhook) == [
        ("job.queued", "queued"),
        ("job.cancelled", "cancelled"),
        ("job.queued", "queued"),
        ("job.running", "running"),
        ("job.queued", "queued"),
        ("job.running", "running"),
        ("job.failed", "failed"),
        ("job.queued", "queued"),
        ("job.running", "running"),
        ("job.queued", "queued"),
    ]
