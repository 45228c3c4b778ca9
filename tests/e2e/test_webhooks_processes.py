"""Webhooks from real processes: `backprop up` (embedded deliverer) and Celery workers.

Receivers run on loopback in this test process (BACKPROP_WEBHOOK_ALLOW_PRIVATE=true): one
fails each first delivery, one hangs on it, and a deliverer is killed in its backoff.
"""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
from cluster import Cluster
from processes import Proc, ProcessGroup, wait_healthy
from support import csv_bytes, free_port, wait_for_job
from webhook_receiver import Receiver, fail_first, hang_first, settled

pytestmark = pytest.mark.e2e

SECRET = "shared-by-the-service-and-the-receiver"
NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}
WEBHOOK_ENV = {
    "BACKPROP_WEBHOOK_ALLOW_PRIVATE": "true",
    "BACKPROP_WEBHOOK_POLL_SECONDS": "0.2",
    "BACKPROP_WEBHOOK_TIMEOUT_SECONDS": "1",
}


def start_up(processes: ProcessGroup, name: str) -> tuple[Proc, httpx.Client]:
    port = free_port()
    proc = processes.start(name, "up", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, proc)
    key_file = processes.logs / "data" / "api-key.txt"
    headers = {"Authorization": f"Bearer {key_file.read_text().strip()}"}
    return proc, httpx.Client(base_url=base, headers=headers, timeout=30)


def subscribe(client: httpx.Client, url: str, events: list[str]) -> str:
    r = client.post("/v1/webhooks", json={"url": url, "events": events, "secret": SECRET})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def submit(client: httpx.Client) -> str:
    data = csv_bytes(["a", "b", "t"], [[i, i % 3, i % 2] for i in range(40)])
    ds = client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    assert ds.status_code == 201, ds.text
    body = {"dataset_id": ds.json()["id"], "network": NETWORK, "training": {"epochs": 3}}
    job = client.post("/v1/jobs", json=body)
    assert job.status_code == 202, job.text
    return job.json()["id"]


def deliveries(client: httpx.Client, webhook: str) -> list[dict]:
    return client.get(f"/v1/webhooks/{webhook}/deliveries").json()["items"]


def final(client: httpx.Client, webhook: str) -> list[dict]:
    """The webhook's deliveries once none is pending."""
    return settled(lambda: deliveries(client, webhook))


def wait_for_backoff(client: httpx.Client, webhook: str, timeout: float = 60) -> dict:
    """The webhook's only delivery once its first attempt failed and a retry is scheduled."""
    deadline = time.monotonic() + timeout
    while True:
        items = deliveries(client, webhook)
        if items and items[0]["attempts"] == 1 and items[0]["last_status_code"] == 503:
            assert items[0]["status"] == "pending", items
            return items[0]
        assert time.monotonic() < deadline, items
        time.sleep(0.05)


def kill(proc: Proc) -> None:
    os.killpg(proc.popen.pid, signal.SIGKILL)
    proc.popen.wait(timeout=60)


def test_up_delivers_every_transition_signed_after_failures_and_time_outs(processes):
    processes.env.update({**WEBHOOK_ENV, "BACKPROP_WEBHOOK_BACKOFF_SECONDS": "0.5"})
    _, client = start_up(processes, "up")
    with Receiver(fail_first) as failing, Receiver(hang_first) as hanging:
        everything = subscribe(client, failing.url, ["job.*"])
        finals = subscribe(client, hanging.url, ["job.succeeded", "job.failed"])
        job_id = submit(client)
        job = wait_for_job(client, job_id)
        assert job["status"] == "succeeded", job
        failing.wait_until(lambda r: len(r.accepted()) == 3)
        hanging.wait_until(lambda r: len(r.accepted()) == 1)
    got = [(r.event, r.answered) for r in failing.received]
    for event in ("job.queued", "job.running", "job.succeeded"):
        assert got.count((event, 503)) == 1 and got.count((event, 200)) == 1, got
    assert [(r.event, r.answered) for r in hanging.received][-1] == ("job.succeeded", 200)
    assert len(hanging.received) == 2  # the hung first try, then the retry
    for request in failing.received + hanging.received:
        assert request.signed_with(SECRET), request.headers
        assert request.json()["data"]["id"] == job_id
    succeeded = [r for r in failing.accepted() if r.event == "job.succeeded"][0]
    assert succeeded.json()["data"] == client.get(f"/v1/jobs/{job_id}").json()
    assert {(d["status"], d["attempts"]) for d in final(client, everything)} == {("delivered", 2)}
    (timed_out,) = final(client, finals)
    assert (timed_out["status"], timed_out["attempts"]) == ("delivered", 2)


def test_a_deliverer_killed_in_its_backoff_delivers_after_a_restart(processes):
    processes.env.update({**WEBHOOK_ENV, "BACKPROP_WEBHOOK_BACKOFF_SECONDS": "4"})
    up, client = start_up(processes, "up")
    with Receiver(fail_first) as receiver:
        webhook = subscribe(client, receiver.url, ["job.succeeded"])
        assert wait_for_job(client, submit(client))["status"] == "succeeded"
        first = wait_for_backoff(client, webhook)
        kill(up)  # in the middle of the 4 s backoff
        assert [r.answered for r in receiver.received] == [503]
        _, client = start_up(processes, "up-again")
        receiver.wait_until(lambda r: len(r.accepted()) == 1)
    (retry,) = receiver.accepted()
    assert retry.body == receiver.received[0].body and retry.signed_with(SECRET)
    assert retry.event_id == first["event_id"]
    (delivered,) = final(client, webhook)
    assert (delivered["status"], delivered["attempts"]) == ("delivered", 2)


@pytest.mark.postgres
@pytest.mark.redis
def test_celery_workers_deliver_and_a_killed_one_loses_nothing(
    processes, postgres_url, private_redis
):
    cluster = Cluster(
        processes, postgres_url, private_redis.url, **WEBHOOK_ENV,
        BACKPROP_WEBHOOK_BACKOFF_SECONDS="4",
    )  # fmt: skip
    worker = cluster.worker()
    with Receiver(fail_first) as receiver:
        webhook = subscribe(cluster.client, receiver.url, ["job.succeeded"])
        job_id = cluster.submit(cluster.dataset(rows=200), epochs=2)
        assert cluster.wait_status(job_id, ("succeeded",))
        first = wait_for_backoff(cluster.client, webhook)
        cluster.kill(worker)
        assert [r.answered for r in receiver.received] == [503]
        cluster.worker()
        receiver.wait_until(lambda r: len(r.accepted()) == 1)
    (retry,) = receiver.accepted()
    assert retry.event_id == first["event_id"] and retry.signed_with(SECRET)
    assert retry.json()["data"]["status"] == "succeeded"
    (delivered,) = final(cluster.client, webhook)
    assert (delivered["status"], delivered["attempts"]) == ("delivered", 2)
