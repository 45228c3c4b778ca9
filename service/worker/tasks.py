"""Thin Celery tasks: take an id, call the plain runner."""

from __future__ import annotations

from service.runner import run_training_job
from service.worker.celery_app import TRAIN_TASK, celery_app


@celery_app.task(name=TRAIN_TASK)
def train_job(job_id: str) -> str:
    """Run one training job; the runner's claim makes duplicate deliveries harmless."""
    return run_training_job(job_id)
