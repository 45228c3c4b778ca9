"""Where training and the workers call the scheduler, each in its own retried session."""

from __future__ import annotations

import logging

from sqlalchemy import select

from service.config import Settings
from service.db.models import Job, Search
from service.db.retry import run_in_session
from service.search.scheduler import advance, judge_trial

log = logging.getLogger(__name__)


def judge_after_epochs(settings: Settings, job_id: str) -> bool:
    """After a trial's epoch rows are written: ask its search's pruner about them."""
    return run_in_session(
        settings.sqlalchemy_url, lambda s: judge_trial(s, job_id), what="judge trial"
    )


def advance_search(settings: Settings, search_id: str) -> list[str]:
    """One scheduler pass; the ids of new queued trials, to publish."""
    return run_in_session(
        settings.sqlalchemy_url,
        lambda s: advance(s, search_id, settings.max_attempts),
        what="advance search",
    )


def search_of(settings: Settings, job_id: str) -> str | None:
    """The search a job is a trial of, if any."""
    return run_in_session(
        settings.sqlalchemy_url,
        lambda s: s.scalar(select(Job.search_id).where(Job.id == job_id)),
        what="read search id",
    )


def active_searches(settings: Settings) -> list[str]:
    """Searches not yet ended (the reconciler advances each)."""
    return run_in_session(
        settings.sqlalchemy_url,
        lambda s: list(
            s.scalars(select(Search.id).where(Search.status.in_(("queued", "running"))))
        ),
        what="list searches",
    )
