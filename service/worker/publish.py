"""Hand a committed job to the transport. A failed publish leaves the job queued."""

from __future__ import annotations

import logging
from typing import Protocol

from service.config import Settings
from service.db import jobs_repo
from service.db.session import session_factory

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Anything that can hand a job id to workers."""

    def publish(self, job_id: str) -> object: ...


class CeleryPublisher:
    """Sends the job id to the Celery queue by task name (the API never imports tasks)."""

    def __init__(self, settings: Settings) -> None:
        from service.worker.celery_app import QUEUE, TRAIN_TASK, make_celery

        self.app = make_celery(settings)
        self.task_name = TRAIN_TASK
        self.queue = QUEUE

    def publish(self, job_id: str) -> object:
        return self.app.send_task(
            self.task_name,
            args=[job_id],
            queue=self.queue,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )


def publish_job(publisher: Publisher, settings: Settings, job_id: str) -> bool:
    """Publish and record it; on failure log and return False (the reconciler retries)."""
    try:
        publisher.publish(job_id)
    except Exception as exc:  # broker down: the job stays queued in the database
        log.warning("could not publish job %s: %s", job_id, exc)
        return False
    try:
        with session_factory(settings.sqlalchemy_url)() as session:
            jobs_repo.mark_published(session, job_id)
            session.commit()
    except Exception as exc:  # published but not recorded: a harmless duplicate may follow
        log.warning("could not record the publish of job %s: %s", job_id, exc)
    return True
