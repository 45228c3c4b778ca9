"""Where training and the workers call the scheduler, each in its own retried session."""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from service.config import Settings
from service.db.models import Job, Search
from service.db.retry import run_in_session
from service.jobs.context import JobContext
from service.search.scheduler import advance, judge_trial, trial_started
from service.search.strategy import judges_at

log = logging.getLogger(__name__)


class TrialJudge:
    """A running trial's own pruner, called by its recorder after epoch rows are written.

    ASHA decides only at its rungs: each rung's row is written as the epoch ends and judged
    from the database at once, so the trial stops right there however short its epochs.
    Median decides at every epoch after its warm-up; its rows are written and judged at
    least every cancel_poll_seconds (the pruner replays the unjudged epochs in order), so a
    trial stops no later than a cancel would. Never at the last epoch: nothing to save.
    """

    def __init__(self, settings: Settings, ctx: JobContext, owner: str) -> None:
        """Marks the search running (its trial was claimed) and reads its pruning."""
        self.settings, self.job_id, self.owner = settings, ctx.job_id, owner
        self.epochs = ctx.plan.epochs
        search_id = ctx.search_id
        self.pruning = run_in_session(
            settings.sqlalchemy_url, lambda s: trial_started(s, search_id), what="start trial"
        )
        self._judged_at = time.monotonic()

    def due(self, epoch: int) -> bool:
        """Whether `epoch`, just ended, is to be written and judged now."""
        if epoch >= self.epochs or not judges_at(self.pruning, epoch):
            return False
        if self.pruning and self.pruning["type"] == "asha":
            return True
        return time.monotonic() - self._judged_at >= self.settings.cancel_poll_seconds

    def __call__(self, epoch: int) -> bool:
        """After the rows up to `epoch` were written: whether the trial was pruned now (its
        job row then says so, like a cancel with its reason)."""
        self._judged_at = time.monotonic()
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
