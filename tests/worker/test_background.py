"""A Celery worker's reconciler and webhook deliverer end with the worker (joined at its
shutdown), after doing their work while it runs."""

from __future__ import annotations

import time

from service.db import jobs_repo
from service.db.keys import get_or_create_tenant
from service.db.session import session_factory
from service.worker.background import WorkerThreads


class Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def publish(self, job_id: str) -> None:
        self.sent.append(job_id)


def test_the_threads_work_then_end_with_the_worker(migrated):
    settings = migrated.model_copy(update={"reconcile_seconds": 0.05, "republish_after_seconds": 0})
    with session_factory(settings.sqlalchemy_url)() as s:
        tenant = get_or_create_tenant(s, "t")
        job = jobs_repo.create_job(s, tenant.id, "ds", {"network": {}, "training": {}}, 3)
        s.commit()
    publisher = Recorder()
    threads = WorkerThreads(settings, publisher)
    threads.start()
    try:
        deadline = time.monotonic() + 30
        while not publisher.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert publisher.sent[:1] == [job.id]  # the never-published job, found and sent
        assert threads.reconciler.is_alive() and threads.deliverer.is_alive()
    finally:
        threads.stop()
    assert not threads.reconciler.is_alive()  # joined, not merely told to stop
    assert not threads.deliverer.is_alive()
