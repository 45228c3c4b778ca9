"""run_job(job_id): the worker's entry point for every job row, by its kind."""

from __future__ import annotations

import threading

from service.config import Settings, get_settings
from service.db import scoring_repo
from service.db.retry import run_in_session
from service.jobs.runner import run_training_job
from service.jobs.scoring_runner import run_scoring_job


def run_job(
    job_id: str, settings: Settings | None = None, shutdown: threading.Event | None = None
) -> str:
    """Train (kind "train") or score (kind "score") the job; same outcomes either way."""
    settings = settings or get_settings()
    kind = run_in_session(
        settings.sqlalchemy_url, lambda s: scoring_repo.job_kind(s, job_id), what="job kind"
    )
    if kind == scoring_repo.SCORE:
        return run_scoring_job(job_id, settings, shutdown)
    return run_training_job(job_id, settings, shutdown)
