"""Fixtures for end-to-end tests: a private PostgreSQL database and a clean Redis db."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import ProcessGroup
from support import PG_ADMIN_URL, REDIS_URL, require_service


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh database created for this test and dropped after it."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    name = f"bp_test_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    """A Redis database emptied for this test."""
    require_service("Redis", "127.0.0.1", 6379)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


@pytest.fixture
def processes(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ProcessGroup]:
    """A group of `backprop` processes, stopped after the test; logs printed on failure."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update({"BACKPROP_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"})
    group = ProcessGroup(env=env, logs=tmp_path)
    yield group
    group.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(group.dump())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001, ANN201
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
