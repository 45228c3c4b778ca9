"""The embedded executor: the same runner and state machine, in threads of the API process,
and a webhook deliverer beside it."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait

from service.config import Settings
from service.events.delivery import Deliverer
from service.jobs.dispatch import run_job
from service.worker.searches import after_job

log = logging.getLogger(__name__)


class EmbeddedExecutor:
    """Runs jobs in a small thread pool; publish() never blocks the request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, settings.embedded_workers), thread_name_prefix="backprop-job"
        )
        self.stopping = threading.Event()
        self._pending: dict[str, Future[str]] = {}
        self._lock = threading.Lock()
        self.deliverer = Deliverer(settings)
        self.deliverer.start()

    def publish(self, job_id: str) -> Future[str] | None:
        """Queue the job unless it is already waiting here (republishes are then no-ops)."""
        with self._lock:
            if job_id in self._pending or self.stopping.is_set():
                return None
            future = self.pool.submit(self._run, job_id)
            self._pending[job_id] = future
        future.add_done_callback(lambda f: self._done(job_id, f))
        return future

    def _run(self, job_id: str) -> str:
        """Train or score the job; a trial's end advances its search (publishing here)."""
        outcome = run_job(job_id, self.settings, self.stopping)
        if not self.stopping.is_set():
            after_job(self.settings, self, job_id)
        return outcome

    def _done(self, job_id: str, future: Future[str]) -> None:
        with self._lock:
            self._pending.pop(job_id, None)
        if not future.cancelled() and future.exception() is not None:
            log.error("job %s crashed the executor: %r", job_id, future.exception())

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop: running jobs checkpoint and go back to queued; waiting ones stay queued."""
        self.stopping.set()
        self.deliverer.stop()
        with self._lock:
            futures = list(self._pending.values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        # A future cancelled by shutdown() stays CANCELLED (never "notified"), which wait()
        # does not count as done: waiting on it would always take the whole timeout.
        wait([f for f in futures if not f.cancelled()], timeout=timeout)
        if not self.deliverer.wait_stopped():  # joined: it logs nothing after the app ended
            log.warning("webhook deliverer still sending at shutdown")
