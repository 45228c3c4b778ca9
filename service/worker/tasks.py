"""Thin Celery tasks: take an id, call the plain runner."""

from __future__ import annotations

from celery.signals import worker_shutting_down

from service.config import get_settings
from service.jobs.monitor import SHUTDOWN
from service.jobs.runner import run_training_job
from service.worker.celery_app import TRAIN_TASK, celery_app
from service.worker.publish import CeleryPublisher, publish_job


@celery_app.task(name=TRAIN_TASK)
def train_job(job_id: str) -> str:
    """Run one training job; the runner's claim makes duplicate deliveries harmless.

    A job handed back during shutdown is published again for another worker.
    """
    outcome = run_training_job(job_id)
    if outcome == "requeued":
        settings = get_settings()
        publish_job(CeleryPublisher(settings), settings, job_id)
    return outcome


@worker_shutting_down.connect
def _checkpoint_on_shutdown(**_: object) -> None:
    """SIGTERM (warm shutdown): running jobs checkpoint and go back to the queue."""
    SHUTDOWN.set()
