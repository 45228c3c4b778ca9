"""The deliverer inside a running app: signed events for every transition, retries after a
failure or a time-out, and the SSRF guard applied again at send time."""

from __future__ import annotations

import time

import pytest
from support import csv_bytes, wait_for_job
from webhook_receiver import Receiver, fail_first, hang_first, settled

SECRET = "receiver-and-service-share-this"
NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}


@pytest.fixture
def client(app_client):
    """The app with fast retries, allowed to reach the loopback receiver."""
    settings = app_client.app_settings
    settings.webhook_allow_private = True
    settings.webhook_backoff_seconds = 0.2
    settings.webhook_poll_seconds = 0.1
    return app_client


def subscribe(client, url: str, events: list[str]) -> str:
    r = client.post("/v1/webhooks", json={"url": url, "events": events, "secret": SECRET})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def train(client) -> dict:
    data = csv_bytes(["a", "b", "t"], [[i, i % 3, i % 2] for i in range(30)])
    ds = client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    body = {"dataset_id": ds.json()["id"], "network": NETWORK, "training": {"epochs": 2}}
    job = client.post("/v1/jobs", json=body).json()
    return wait_for_job(client, job["id"])


def test_every_transition_arrives_signed_after_a_first_failure(client):
    with Receiver(fail_first) as receiver:
        webhook = subscribe(client, receiver.url, ["job.*"])
        job = train(client)
        receiver.wait_until(lambda r: len(r.accepted()) == 3)
    accepted = receiver.accepted()
    assert sorted(r.event for r in accepted) == ["job.queued", "job.running", "job.succeeded"]
    for request in receiver.received:  # failed attempts were signed too
        assert request.signed_with(SECRET), request.headers
        assert not request.signed_with(SECRET + "x")
        body = request.json()
        assert request.headers["content-type"] == "application/json"
        assert body["id"] == request.event_id and body["event"] == request.event
        assert body["data"]["id"] == job["id"]
        assert body["data"]["status"] == request.event.removeprefix("job.")
    first_tries = [r for r in receiver.received if r.answered == 503]
    assert sorted(r.event_id for r in first_tries) == sorted(r.event_id for r in accepted)
    retried = {r.event_id: r.body for r in first_tries}
    assert all(retried[r.event_id] == r.body for r in accepted)  # the same bytes each time
    succeeded = next(r for r in accepted if r.event == "job.succeeded").json()
    assert succeeded["data"] == client.get(f"/v1/jobs/{job['id']}").json()
    deliveries = settled(lambda: client.get(f"/v1/webhooks/{webhook}/deliveries").json()["items"])
    assert len(deliveries) == 3
    for delivery in deliveries:
        assert (delivery["status"], delivery["attempts"]) == ("delivered", 2), delivery
        assert delivery["last_status_code"] == 200 and delivery["next_attempt_at"] is None


def test_a_receiver_that_hangs_is_timed_out_and_retried(client):
    client.app_settings.webhook_timeout_seconds = 0.5
    with Receiver(hang_first) as receiver:
        webhook = subscribe(client, receiver.url, ["job.succeeded"])
        train(client)
        receiver.wait_until(lambda r: len(r.accepted()) == 1)
    assert [r.event for r in receiver.received] == ["job.succeeded", "job.succeeded"]
    (delivery,) = settled(lambda: client.get(f"/v1/webhooks/{webhook}/deliveries").json()["items"])
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2


def first_delivery(client, webhook: str, done, timeout: float = 60) -> dict:
    """Poll the webhook's newest delivery until done(delivery); returns it."""
    deadline = time.monotonic() + timeout
    while True:
        items = client.get(f"/v1/webhooks/{webhook}/deliveries").json()["items"]
        if items and done(items[0]):
            return items[0]
        assert time.monotonic() < deadline, items
        time.sleep(0.05)


def attempt_recorded(delivery: dict) -> bool:
    """An attempt's outcome is on the delivery. Not `attempts > 0`: the claim counts an
    attempt before it is sent, and its outcome is written after, so a poll in between
    sees attempts 1 with no status code, no error, still pending."""
    done = delivery["status"] != "pending"
    return done or delivery["last_error"] is not None or delivery["last_status_code"] is not None


def test_attempts_run_out_and_the_delivery_fails(client):
    client.app_settings.webhook_max_attempts = 3
    with Receiver(lambda earlier: 500) as receiver:
        webhook = subscribe(client, receiver.url, ["job.running"])
        train(client)
        delivery = first_delivery(client, webhook, lambda d: d["status"] != "pending")
    assert delivery["status"] == "failed" and delivery["attempts"] == 3
    assert delivery["last_status_code"] == 500
    assert delivery["last_error"] == "answered HTTP 500"
    assert len(receiver.received) == 3


def test_the_address_is_checked_again_when_sending(client):
    with Receiver(lambda earlier: 200) as receiver:
        webhook = subscribe(client, receiver.url, ["job.queued"])
        client.app_settings.webhook_allow_private = False  # e.g. the DNS answer changed
        train(client)
        delivery = first_delivery(client, webhook, attempt_recorded)
    assert "127.0.0.1, a loopback address" in delivery["last_error"]
    assert delivery["last_status_code"] is None and delivery["status"] == "pending"
    assert receiver.received == []
