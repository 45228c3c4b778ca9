"""One attempt at a job row, whatever its kind (a training job, a scoring run): claim it,
load it under the lease, do the work, turn errors into a failed job with a readable message,
and end the attempt's run row.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from typing import Protocol, TypeVar

from service.config import Settings
from service.db import jobs_repo, runs_repo
from service.db.retry import run_in_session
from service.jobs.lease_keeper import lease_kept
from service.jobs.outcomes import LeaseLost, finish
from service.observability import bind_log_context

log = logging.getLogger(__name__)


class Attempt(Protocol):
    """A claimed job's tenant and attempt number (a JobContext, a ScoringRun)."""

    @property
    def tenant_id(self) -> str: ...

    @property
    def attempt(self) -> int: ...


L = TypeVar("L")


def worker_identity() -> str:
    """A lease owner name unique to this process and call: host:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_attempt(
    settings: Settings,
    job_id: str,
    noun: str,
    load: Callable[[], L],
    work: Callable[[L, str], str],
    failures: tuple[type[Exception], ...],
    context: Callable[[L], Attempt] = lambda loaded: loaded,  # type: ignore[assignment,return-value]
) -> str:
    """Claim the job row `job_id`; if this call wins, `load()` it (under the lease) and return
    `work(loaded, owner)`'s outcome. An error in `failures` fails the job with its message,
    any other with "internal error: ..." (the trace goes to the log); a lost lease stops
    without writes ("lease-lost"). "skipped" when another worker has the job or it is no
    longer queued. `context(loaded)` has its tenant and attempt (default: `loaded` itself);
    `noun` names the job in log lines ("job", "scoring run")."""
    owner = worker_identity()
    url = settings.sqlalchemy_url
    if not run_in_session(url, lambda s: jobs_repo.claim(s, job_id, owner), what="claim"):
        log.info("job %s not claimed (already taken, finished or cancelled)", job_id)
        return "skipped"
    claimed: Attempt | None = None
    outcome = "failed"
    try:
        with lease_kept(settings, job_id, owner):
            loaded = load()
        claimed = context(loaded)
        bind_log_context(tenant_id=claimed.tenant_id, attempt=claimed.attempt)
        log.info("%s %s attempt %d claimed by %s", noun, job_id, claimed.attempt, owner)
        outcome = work(loaded, owner)
    except LeaseLost:
        log.warning("%s %s: lease lost, stopping without writes", noun, job_id)
        outcome = "lease-lost"
    except failures as exc:
        outcome = finish(settings, job_id, owner, "failed", error=str(exc))
    except Exception as exc:  # our bug or bad stored data: fail readably, keep the trace in logs
        log.exception("%s %s failed", noun, job_id)
        reason = f"internal error: {type(exc).__name__}: {exc}"
        outcome = finish(settings, job_id, owner, "failed", error=reason)
    finally:
        if claimed is not None:  # end the run row work started, unless finish/release did
            run_in_session(
                url, lambda s: runs_repo.end_run(s, job_id, owner, outcome), what="end run"
            )
    return outcome
