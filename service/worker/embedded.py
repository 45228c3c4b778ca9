"""The embedded executor: the same runner and state machine, in threads of the API process."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from service.config import Settings
from service.runner import run_training_job

log = logging.getLogger(__name__)


class EmbeddedExecutor:
    """Runs jobs in a small thread pool; publish() never blocks the request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, settings.embedded_workers), thread_name_prefix="backprop-job"
        )

        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def publish(self, job_id: str) -> Future[str] | None:
        """Queue the job unless it is already waiting here (republishes are then no-ops)."""
        with self._lock:
            if job_id in self._pending:
                return None
            self._pending.add(job_id)
        future = self.pool.submit(run_training_job, job_id, self.settings)
        future.add_done_callback(lambda f: self._done(job_id, f))
        return future

    def _done(self, job_id: str, future: Future[str]) -> None:
        with self._lock:
            self._pending.discard(job_id)
        _log_failure(job_id, future)

    def shutdown(self, wait: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=True)


def _log_failure(job_id: str, future: Future[str]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("job %s crashed the executor: %r", job_id, future.exception())
