"""Fixtures: an isolated embedded service (SQLite + in-process executor) per test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from redis_server import RedisServer

from service.api.app import create_app
from service.config import Settings
from service.db.keys import create_key
from service.db.migrate import upgrade
from service.db.session import session_scope


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """Undo a test's configure_logging() (a server command run in-process by CliRunner):
    its handler writes to that invoke's stderr, closed when the invoke ends, and left in
    place every later record of any thread raised "--- Logging error ---" (ValueError:
    I/O operation on closed file), printed into later tests, CLI output or at exit."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    saved = [
        (lg, lg.handlers[:], lg.level, lg.propagate)
        for lg in loggers
        if isinstance(lg, logging.Logger)
    ]
    yield
    for lg, handlers, level, propagate in saved:
        lg.handlers[:] = handlers
        lg.propagate = propagate
        lg.setLevel(level)  # setLevel also clears the loggers' cached isEnabledFor answers


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded settings in a temporary data dir, with fast heartbeats and polling."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'test.db'}",
        broker_url=None,
        heartbeat_seconds=0.5,
        cancel_poll_seconds=0.05,
        reconcile_seconds=0.5,
        lease_seconds=30,
    )


@pytest.fixture
def migrated(settings: Settings) -> Settings:
    upgrade(settings.sqlalchemy_url)
    return settings


def make_key(settings: Settings, tenant: str) -> str:
    with session_scope(settings.sqlalchemy_url) as session:
        return create_key(session, tenant)


@pytest.fixture
def app_client(migrated: Settings) -> Iterator[TestClient]:
    """Client of a running app (embedded executor and reconciler on) as tenant 'alice'."""
    app = create_app(migrated)
    key = make_key(migrated, "alice")
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
        client.app_settings = migrated  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def other_client(app_client: TestClient) -> TestClient:
    """Same app, tenant 'mallory'."""
    key = make_key(app_client.app_settings, "mallory")  # type: ignore[attr-defined]
    client = TestClient(app_client.app, headers={"Authorization": f"Bearer {key}"})
    return client


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone (it may be stopped and restarted)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
