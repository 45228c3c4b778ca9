"""Keep a job's lease fresh during steps that do not pass through the training loop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from service.config import Settings
from service.db import jobs_repo
from service.db.session import session_factory

log = logging.getLogger(__name__)


@contextmanager
def lease_kept(settings: Settings, job_id: str, owner: str) -> Iterator[None]:
    """Heartbeat every settings.heartbeat_seconds from a side thread while the block runs
    (loading and preparing a large dataset can outlast the lease). Inside the training loop
    the JobMonitor heartbeats instead, so a hung loop still lets its lease expire."""
    done = threading.Event()

    def beat() -> None:
        sessions = session_factory(settings.sqlalchemy_url)
        while not done.wait(settings.heartbeat_seconds):
            try:
                with sessions() as session:
                    if not jobs_repo.heartbeat(session, job_id, owner):
                        return
            except Exception as exc:  # the main path retries and reports database trouble
                log.warning("heartbeat for job %s failed: %s", job_id, exc)

    thread = threading.Thread(target=beat, name=f"lease-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)
