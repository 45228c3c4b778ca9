"""Requests per key per minute: one budget across API processes when Redis is the broker."""

from __future__ import annotations

import time

import pytest
from conftest import make_key
from fastapi import HTTPException
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.rate_limit import RateLimiter, SharedRateLimiter, build_rate_limiter
from service.config import Settings


def two_processes(settings: Settings, key: str) -> list[TestClient]:
    """Two apps with their own memory, like two API processes behind one load balancer."""
    headers = {"Authorization": f"Bearer {key}"}
    clients = [
        TestClient(create_app(settings, embedded_worker=True), headers=headers) for _ in range(2)
    ]
    for c in clients:  # the test syncs by hand, at the moments it chooses
        c.app.state.rate_limiter.sync_seconds = 3600.0
    return clients


def test_without_a_redis_broker_each_process_counts_alone():
    assert type(build_rate_limiter(5, None, True)) is RateLimiter
    assert type(build_rate_limiter(5, "redis://127.0.0.1:1/0", False)) is RateLimiter
    shared = build_rate_limiter(5, "redis://127.0.0.1:1/0", True)
    assert type(shared) is SharedRateLimiter


@pytest.mark.redis
def test_api_processes_share_one_budget_per_key(migrated, private_redis):
    settings = migrated.model_copy(
        update={"broker_url": private_redis.url, "rate_limit_per_minute": 5}
    )
    key, other = make_key(settings, "alice"), make_key(settings, "bob")
    a, b = two_processes(settings, key)
    with a, b:

        def get(client: TestClient, path: str = "/v1/datasets") -> int:
            status = client.get(path).status_code
            for c in (a, b, a):  # what the sync threads do every 50 ms, until all agree
                c.app.state.rate_limiter.sync()
            return status

        codes = [get(c) for c in (a, b, a, b)]
        # the events route checks the key in a worker thread
        codes.append(get(b, "/v1/jobs/0123456789abcdef/events"))
        codes += [get(c) for c in (a, b)]
        assert codes == [200, 200, 200, 200, 404, 429, 429]
        r = a.get("/v1/datasets")
        assert 1 <= int(r.headers["retry-after"]) <= 60 and "rate limit" in r.json()["detail"]
        assert r.headers["content-type"].startswith("application/problem+json")
        bob = {"Authorization": f"Bearer {other}"}
        assert a.get("/v1/datasets", headers=bob).status_code == 200  # its own budget


@pytest.mark.redis
def test_redis_down_falls_back_to_counting_in_process(migrated, private_redis, caplog):
    settings = migrated.model_copy(
        update={"broker_url": private_redis.url, "rate_limit_per_minute": 3}
    )
    key = make_key(settings, "alice")
    a, b = two_processes(settings, key)
    with a, b:
        assert a.get("/v1/datasets").status_code == 200
        private_redis.stop()
        for c in (a, b):  # their sync threads find Redis gone
            c.app.state.rate_limiter.sync()
        # served, not failed: each process now counts on its own (3 each)
        assert [a.get("/v1/datasets").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert [b.get("/v1/datasets").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert "Redis unreachable" in caplog.text


@pytest.mark.redis
def test_the_sync_thread_shares_counts_without_requests_waiting_for_redis(private_redis):
    a = SharedRateLimiter(3, private_redis.url, sync_seconds=0.02)
    b = SharedRateLimiter(3, private_redis.url, sync_seconds=0.02)
    for _ in range(3):
        a.check("key")
    with pytest.raises(HTTPException) as info:
        a.check("key")  # this process's own view, no round trip
    assert info.value.status_code == 429
    b.check("other")  # starts b's sync thread
    deadline = time.monotonic() + 5
    while True:  # b learns of a's requests within a few sync intervals
        try:
            b.check("key")
        except HTTPException as exc:
            assert exc.status_code == 429 and 1 <= int(exc.headers["Retry-After"]) <= 60
            break
        assert time.monotonic() < deadline, "b never saw a's requests"
        time.sleep(0.05)
    for limiter in (a, b):
        limiter.close()
