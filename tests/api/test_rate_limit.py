"""Requests per key per minute: one budget across API processes when Redis is the broker."""

from __future__ import annotations

import pytest
from conftest import make_key
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.rate_limit import RateLimiter, SharedRateLimiter, build_rate_limiter
from service.config import Settings


def two_processes(settings: Settings, key: str) -> list[TestClient]:
    """Two apps with their own memory, like two API processes behind one load balancer."""
    headers = {"Authorization": f"Bearer {key}"}
    return [
        TestClient(create_app(settings, embedded_worker=True), headers=headers) for _ in range(2)
    ]


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
        codes = [c.get("/v1/datasets").status_code for c in (a, b, a, b)]
        # the events route checks the key in a worker thread (the blocking client)
        codes.append(b.get("/v1/jobs/0123456789abcdef/events").status_code)
        codes += [c.get("/v1/datasets").status_code for c in (a, b)]
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
        # served, not failed: each process now counts on its own (3 each)
        assert [a.get("/v1/datasets").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert [b.get("/v1/datasets").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert "Redis unreachable" in caplog.text
