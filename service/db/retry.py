"""Retry database work through connection loss (a PostgreSQL restart), with backoff."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from service.db.session import session_factory

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    """Connection-level failures worth retrying (not constraint or programming errors)."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def with_db_retry(
    fn: Callable[[], T],
    *,
    within_seconds: float = 120.0,
    first_delay: float = 0.2,
    max_delay: float = 5.0,
    what: str = "database call",
) -> T:
    """Call fn(), retrying transient database errors with exponential backoff.

    Gives up (re-raising) once `within_seconds` have passed; fn must be safe to repeat,
    which our fenced, conditional writes are.
    """
    deadline = time.monotonic() + within_seconds
    delay = first_delay
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_transient(exc) or time.monotonic() + delay > deadline:
                raise
            log.warning("%s failed (%s); retrying in %.1fs", what, type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(max_delay, delay * 2)


def run_in_session(url: str, work: Callable[[Session], T], *, what: str) -> T:
    """work(session) in a fresh session for `url`, retried through connection loss.

    The one idiom for job code: `work` is a repository call (or a few), safe to repeat.
    """
    sessions = session_factory(url)

    def attempt() -> T:
        with sessions() as session:
            return work(session)

    return with_db_retry(attempt, what=what)
