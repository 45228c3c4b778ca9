"""Between mini-batches: heartbeat the lease and decide whether training must stop."""

from __future__ import annotations

import threading
import time

from sqlalchemy.orm import Session

from service.config import Settings
from service.db import jobs_repo
from service.db.retry import run_in_session
from service.jobs.context import JobContext

SHUTDOWN = threading.Event()
"""Set when the process is asked to stop (SIGTERM): running jobs checkpoint and requeue."""


class JobMonitor:
    """Throttled checks of cancellation, lease, shutdown and the runtime limit.

    `reason` says why should_stop() turned True: cancelled, lease_lost, shutdown, time_limit.
    """

    def __init__(
        self,
        settings: Settings,
        ctx: JobContext,
        owner: str,
        shutdown: threading.Event = SHUTDOWN,
    ) -> None:
        self.settings, self.ctx, self.owner, self.shutdown = settings, ctx, owner, shutdown
        self.job_id = ctx.job_id
        self.max_runtime = ctx.max_runtime
        self.started = self._last_beat = time.monotonic()
        self.reason: str | None = None
        self._last_poll = 0.0

    @property
    def runtime(self) -> float:
        """Seconds of training across attempts (earlier ones from the checkpoint)."""
        return self.ctx.runtime_before + (time.monotonic() - self.started)

    def should_stop(self) -> bool:
        if self.reason:
            return True
        if self.shutdown.is_set():
            self._poll(time.monotonic())  # a pending cancel wins over a shutdown
            self.reason = self.reason or "shutdown"
        elif self.max_runtime is not None and self.runtime > self.max_runtime:
            self.reason = "time_limit"
        else:
            now = time.monotonic()
            if now - self._last_poll >= self.settings.cancel_poll_seconds:
                self._last_poll = now
                self._poll(now)
        return self.reason is not None

    def _poll(self, now: float) -> None:
        def check(session: Session) -> tuple[bool, bool]:
            alive = True
            if now - self._last_beat >= self.settings.heartbeat_seconds:
                alive = jobs_repo.heartbeat(session, self.job_id, self.owner)
            return alive, jobs_repo.cancel_requested(session, self.job_id)

        alive, cancelled = run_in_session(self.settings.sqlalchemy_url, check, what="heartbeat")
        if now - self._last_beat >= self.settings.heartbeat_seconds:
            self._last_beat = now
        if not alive:
            self.reason = "lease_lost"
        elif cancelled:
            self.reason = "cancelled"
