"""Where training and the workers call the scheduler, each in its own retried session."""

from __future__ import annotations

import logging

from sqlalchemy import select

from service.config import Settings
from service.db.models import Job, Search
from service.db.retry import run_in_session
from service.jobs.context import JobContext
from service.search.scheduler import advance, judge_trial, trial_started
from service.search.strategy import judges_at

log = logging.getLogger(__name__)


class TrialJudge:
    """A running trial's own pruner, called by its recorder: the rows of the epochs the
    pruner can decide at are written at their end, then judged from the database, so a
    trial is stopped at its rung however short its epochs are."""

    def __init__(self, settings: Settings, ctx: JobContext, owner: str) -> None:
        """Marks the search running (its trial was claimed) and reads its pruning."""
        self.settings, self.job_id, self.owner = settings, ctx.job_id, owner
        self.epochs = ctx.plan.epochs
        search_id = ctx.search_id
        self.pruning = run_in_session(
            settings.sqlalchemy_url, lambda s: trial_started(s, search_id), what="start trial"
        )

    def due(self, epoch: int) -> bool:
        """Whether the pruner decides at `epoch`; never at the last (nothing to save)."""
        return epoch < self.epochs and judges_at(self.pruning, epoch)

    def __call__(self, epochs: list[int]) -> bool:
        """After the rows of `epochs` were written: whether the trial was pruned now (its
        job row then says so, like a cancel with its reason)."""
        if not any(self.due(epoch) for epoch in epochs):
            return False
        return run_in_session(
            self.settings.sqlalchemy_url,
            lambda s: judge_trial(s, self.job_id, self.owner),
            what="judge trial",
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
