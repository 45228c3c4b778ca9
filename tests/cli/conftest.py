"""A live API over real HTTP (uvicorn in a thread, SQLite, embedded worker) for CLI tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from support import free_port

from service.api.app import create_app
from service.config import Settings
from service.db.keys import create_key
from service.db.session import session_scope


@dataclass
class LiveServer:
    url: str
    key: str
    settings: Settings

    def env(self, **extra: str | None) -> dict[str, str | None]:
        """Environment for CliRunner.invoke: this server and key."""
        return {"BACKPROP_URL": self.url, "BACKPROP_API_KEY": self.key, **extra}


@pytest.fixture
def live_server(migrated: Settings) -> Iterator[LiveServer]:
    with session_scope(migrated.sqlalchemy_url) as session:
        key = create_key(session, "cli")
    port = free_port()
    config = uvicorn.Config(
        create_app(migrated), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", key, migrated)
    server.should_exit = True
    thread.join(timeout=15)
