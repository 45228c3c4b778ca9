"""Periodic repair: requeue jobs whose worker died, republish jobs nobody picked up, and
delete finished jobs past BACKPROP_JOB_RETENTION_DAYS."""

from __future__ import annotations

import logging
import threading

from service.config import Settings
from service.db import job_cleanup, jobs_repo
from service.db.session import session_factory
from service.worker.publish import Publisher, publish_job
from service.worker.searches import advance_all

log = logging.getLogger(__name__)
JOIN_SECONDS = 10.0
"""How long a shutdown waits for a stopped reconciler's pass in progress to end."""


def reconcile_once(settings: Settings, publisher: Publisher, stale_publish_seconds: float) -> int:
    """One pass; returns how many jobs were (re)published."""
    with session_factory(settings.sqlalchemy_url)() as session:
        requeued = jobs_repo.release_stale(session, settings.lease_seconds)
        pending = jobs_repo.unpublished_queued(session, stale_publish_seconds)
        if settings.job_retention_days > 0:
            pruned = job_cleanup.prune_finished_jobs(session, settings.job_retention_days)
            if pruned:
                log.info("reconciler deleted %d finished jobs past retention", len(pruned))
    ids = list(dict.fromkeys([*requeued, *pending]))
    published = sum(publish_job(publisher, settings, job_id) for job_id in ids)
    published += advance_all(settings, publisher)  # searches whose advance was lost
    if ids:
        log.info("reconciler republished %d of %d jobs", published, len(ids))
    return published


class Reconciler(threading.Thread):
    """Runs reconcile_once every settings.reconcile_seconds until stopped."""

    def __init__(self, settings: Settings, publisher: Publisher, *, sweep_at_start: bool) -> None:
        super().__init__(name="backprop-reconciler", daemon=True)
        self.sweep_at_start = sweep_at_start
        self.settings = settings
        self.publisher = publisher
        self.stopped = threading.Event()

    def run(self) -> None:
        first = self.sweep_at_start
        while not self.stopped.is_set():
            try:
                # A sweep at start picks up everything still queued; later only the forgotten.
                age = 0.0 if first else self.settings.republish_after_seconds
                reconcile_once(self.settings, self.publisher, age)
                first = False
            except Exception:
                log.exception("reconciler pass failed")
            self.stopped.wait(self.settings.reconcile_seconds)

    def stop(self) -> None:
        self.stopped.set()
