"""Claiming and recording delivery attempts: one sender per attempt, retries with backoff."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select, update

from service.db import webhooks_repo
from service.db.models import utcnow
from service.db.webhook_models import WebhookDelivery


def pending(sessions, tenant_id: str) -> str:
    """A webhook with one pending delivery, due now; returns the delivery id."""
    with sessions() as s:
        hook = webhooks_repo.create_webhook(s, tenant_id, "http://x.test/", ["*"], "secret-123")
        webhooks_repo.add_deliveries(s, [hook.id], "event-1", "job.queued", '{"id":"event-1"}')
        s.commit()
        query = select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == hook.id)
        return s.scalar(query)


def make_due(sessions, delivery_id: str) -> None:
    """Skip the wait (a backoff or a claim's hold)."""
    with sessions() as s:
        past = utcnow() - timedelta(seconds=1)
        s.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(next_attempt_at=past)
        )
        s.commit()


def row(sessions, delivery_id: str) -> WebhookDelivery:
    with sessions() as s:
        return s.get(WebhookDelivery, delivery_id)


def record(sessions, claimed, owner: str, error: str | None, max_attempts: int = 3):
    with sessions() as s:
        return webhooks_repo.record_attempt(
            s,
            claimed,
            owner,
            status_code=None if error else 200,
            error=error,
            max_attempts=max_attempts,
            first_backoff=30.0,
        )


def test_concurrent_deliverers_never_claim_the_same_attempt(sessions, tenant_id):
    delivery_id = pending(sessions, tenant_id)
    start, wins = threading.Barrier(8), []

    def contend(n: int) -> None:
        with sessions() as s:
            start.wait()
            claimed = webhooks_repo.claim(s, delivery_id, 0, f"d{n}", hold_seconds=60)
            if claimed is not None:
                wins.append(claimed)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and wins[0].attempt == 1 and wins[0].event_id == "event-1"
    assert wins[0].url == "http://x.test/" and wins[0].secret == "secret-123"
    with sessions() as s:  # held: not due again until the hold runs out
        assert webhooks_repo.due_deliveries(s, 10) == []
        assert webhooks_repo.claim(s, delivery_id, 0, "late", hold_seconds=60) is None


def test_failures_back_off_then_fail_for_good(sessions, tenant_id):
    delivery_id = pending(sessions, tenant_id)
    for attempt in (1, 2, 3):
        with sessions() as s:
            claimed = webhooks_repo.claim(s, delivery_id, attempt - 1, "d", hold_seconds=60)
        assert claimed is not None and claimed.attempt == attempt
        before = utcnow()
        outcome = record(sessions, claimed, "d", "answered HTTP 500")
        delivery = row(sessions, delivery_id)
        assert delivery.attempts == attempt and delivery.last_error == "answered HTTP 500"
        if attempt < 3:
            assert outcome == "pending"
            wait = delivery.next_attempt_at.replace(tzinfo=before.tzinfo) - before
            expected = webhooks_repo.backoff_seconds(attempt, 30.0)
            assert expected - 1 < wait.total_seconds() <= expected + 1
            with sessions() as s:
                assert webhooks_repo.due_deliveries(s, 10) == []
            make_due(sessions, delivery_id)
    assert outcome == "failed" and row(sessions, delivery_id).status == "failed"
    with sessions() as s:
        assert webhooks_repo.due_deliveries(s, 10) == []


def test_success_is_delivered_once(sessions, tenant_id):
    delivery_id = pending(sessions, tenant_id)
    with sessions() as s:
        claimed = webhooks_repo.claim(s, delivery_id, 0, "d", hold_seconds=60)
    assert record(sessions, claimed, "d", None) == "delivered"
    assert record(sessions, claimed, "d", None) is None  # recorded already
    delivery = row(sessions, delivery_id)
    assert delivery.status == "delivered" and delivery.delivered_at is not None
    assert delivery.last_status_code == 200 and delivery.claimed_by is None


def test_a_deliverer_whose_hold_ran_out_records_nothing(sessions, tenant_id):
    delivery_id = pending(sessions, tenant_id)
    with sessions() as s:
        slow = webhooks_repo.claim(s, delivery_id, 0, "slow", hold_seconds=60)
    make_due(sessions, delivery_id)  # the hold ran out: another deliverer sends it again
    with sessions() as s:
        fast = webhooks_repo.claim(s, delivery_id, 1, "fast", hold_seconds=60)
    assert fast is not None and fast.attempt == 2
    assert record(sessions, slow, "slow", "no answer within 5 s") is None
    assert record(sessions, fast, "fast", None) == "delivered"
    assert row(sessions, delivery_id).attempts == 2


def test_backoff_doubles_up_to_an_hour():
    assert [webhooks_repo.backoff_seconds(n, 10.0) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert webhooks_repo.backoff_seconds(30, 10.0) == webhooks_repo.MAX_BACKOFF_SECONDS


def test_deleting_a_webhook_drops_its_pending_deliveries(sessions, tenant_id):
    delivery_id = pending(sessions, tenant_id)
    with sessions() as s:
        webhooks_repo.delete_webhook(s, row(sessions, delivery_id).webhook_id)
        assert webhooks_repo.due_deliveries(s, 10) == []
    assert row(sessions, delivery_id) is None


def test_old_finished_deliveries_are_pruned_pending_ones_kept(sessions, tenant_id):
    delivered, waiting = pending(sessions, tenant_id), pending(sessions, tenant_id)
    with sessions() as s:
        claimed = webhooks_repo.claim(s, delivered, 0, "d", hold_seconds=60)
    record(sessions, claimed, "d", None)
    with sessions() as s:
        assert webhooks_repo.prune_finished(s, older_than_days=1) == 0  # too young
        old = utcnow() - timedelta(days=2)
        s.execute(update(WebhookDelivery).values(created_at=old))
        s.commit()
        assert webhooks_repo.prune_finished(s, older_than_days=1) == 1
    assert row(sessions, delivered) is None and row(sessions, waiting).status == "pending"
