"""Thin Celery tasks: take an id, call the plain runner."""

from __future__ import annotations

from celery.signals import worker_shutting_down

from service.config import Settings, get_settings
from service.jobs.dispatch import run_job
from service.jobs.monitor import SHUTDOWN
from service.worker.celery_app import TRAIN_TASK, celery_app
from service.worker.publish import CeleryPublisher, publish_job
from service.worker.searches import after_job


@celery_app.task(name=TRAIN_TASK)
def train_job(job_id: str) -> str:
    """Run one job (training or scoring); the runner's claim makes duplicate deliveries harmless.

    A job handed back during shutdown is published again for another worker.
    """
    outcome = run_job(job_id)
    settings = get_settings()
    if outcome == "requeued":
        publish_job(_publisher(settings), settings, job_id)
    else:
        after_job(settings, _publisher(settings), job_id)  # a trial's end advances its search
    return outcome


_PUBLISHERS: dict[str, CeleryPublisher] = {}


def _publisher(settings: Settings) -> CeleryPublisher:
    """One publisher per broker for this worker process."""
    key = settings.broker_url or ""
    if key not in _PUBLISHERS:
        _PUBLISHERS[key] = CeleryPublisher(settings)
    return _PUBLISHERS[key]


@worker_shutting_down.connect
def _checkpoint_on_shutdown(**_: object) -> None:
    """SIGTERM (warm shutdown): running jobs checkpoint and go back to the queue."""
    SHUTDOWN.set()
