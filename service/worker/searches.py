"""Advance searches and publish their new trials: after a trial ends, and from the
reconciler (which repairs an advance lost to a crash)."""

from __future__ import annotations

import logging

from service.config import Settings
from service.search.hooks import active_searches, advance_search, search_of
from service.worker.publish import Publisher, publish_job

log = logging.getLogger(__name__)


def advance_and_publish(settings: Settings, publisher: Publisher, search_id: str) -> int:
    """One scheduler pass, then publish the trials it created; returns how many."""
    new = advance_search(settings, search_id)
    return sum(publish_job(publisher, settings, job_id) for job_id in new)


def after_job(settings: Settings, publisher: Publisher, job_id: str) -> None:
    """After a job ran (any outcome): if it is a trial, advance its search. Never raises:
    the reconciler advances the search later if this fails."""
    try:
        search_id = search_of(settings, job_id)
        if search_id is not None:
            advance_and_publish(settings, publisher, search_id)
    except Exception:
        log.exception("could not advance the search of job %s", job_id)


def advance_all(settings: Settings, publisher: Publisher) -> int:
    """Advance every unfinished search; returns how many trials were published."""
    published = 0
    for search_id in active_searches(settings):
        try:
            published += advance_and_publish(settings, publisher, search_id)
        except Exception:
            log.exception("could not advance search %s", search_id)
    return published
