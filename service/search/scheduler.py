"""The search scheduler: from database state, which trials to create and which to prune.

Any process may call advance() or judge_trial() at any time (the API, a worker after a
trial's epochs or its end, the reconciler). Each call is one transaction whose FIRST
statement bumps the search row's version: on PostgreSQL that row lock, on SQLite the
database write lock, serialises the calls, and every read after it sees the trials the
previous call committed. So two processes never create the same trial number (also a
unique (search_id, trial) constraint) nor more than `parallelism` unfinished trials.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db import jobs_repo
from service.db.models import Job, Search, utcnow
from service.search.space import Range, apply, parse_space
from service.search.strategy import TrialRecord, ask, judge
from service.search.trials import (
    ACTIVE,
    epoch_values,
    trial_jobs,
    trial_status,
    trial_value,
)

log = logging.getLogger(__name__)
TERMINAL = ("succeeded", "failed", "cancelled")


def lock_search(session: Session, search_id: str) -> Search | None:
    """Bump the search's version as the transaction's first statement (the lock) and
    return the row, fresh; None when it does not exist."""
    if session.in_transaction():
        session.commit()  # the lock must come first in its own transaction
    bumped = session.execute(
        update(Search).where(Search.id == search_id).values(version=Search.version + 1)
    )
    if bumped.rowcount != 1:
        session.rollback()
        return None
    return session.get(Search, search_id, populate_existing=True)


def ranges_of(search: Search) -> list[Range]:
    return parse_space(search.space, search.body)


def records(jobs: list[Job], metric: str, intermediate: dict[str, dict[int, float]] | None = None):
    """TrialRecords of the trial jobs for the sampler and the pruner."""
    return [
        TrialRecord(
            number=job.trial or 0,
            status=trial_status(job),
            internal=dict((job.trial_state or {}).get("internal") or {}),
            rungs=dict((job.trial_state or {}).get("rungs") or {}),
            value=trial_value(job, metric),
            intermediate=(intermediate or {}).get(job.id, {}),
        )
        for job in jobs
    ]


def advance(session: Session, search_id: str, max_attempts: int = 3) -> list[str]:
    """Create the trials the search may start now and end it when all are done; returns
    the ids of new queued trial jobs (the caller publishes them after this commit)."""
    search = lock_search(session, search_id)
    if search is None:
        return []
    if search.status in TERMINAL:
        session.commit()
        return []
    jobs = trial_jobs(session, search_id)
    active = [j for j in jobs if j.status in ACTIVE]
    if search.cancel_requested:
        _cancel_trials(session, [j.id for j in active])
        if not any(j.status == "running" for j in active):
            _end(search, "cancelled", None)
        session.commit()
        return []
    if search.status == "queued" and any(j.status != "queued" for j in jobs):
        search.status, search.started_at = "running", utcnow()
    new: list[Job] = []
    if len(jobs) < search.total_trials and len(active) < search.parallelism:
        ranges = ranges_of(search)
        known = records(jobs, search.objective["metric"])
        while len(jobs) < search.total_trials and len(active) < search.parallelism:
            internal = ask(search.strategy, search.objective["direction"], ranges, known)
            job = _create_trial(session, search, ranges, len(jobs), internal, max_attempts)
            known.append(TrialRecord(len(jobs), "queued", internal))
            jobs.append(job)
            active.append(job)
            new.append(job)
    if len(jobs) >= search.total_trials and not active:
        _end_done(search, jobs)
    session.commit()
    return [job.id for job in new]


def _create_trial(
    session: Session,
    search: Search,
    ranges: list[Range],
    number: int,
    internal: dict[str, Any],
    max_attempts: int,
) -> Job:
    values = {r.path: r.value(internal[r.path]) for r in ranges}
    spec = apply({"network": search.body["network"], "training": search.body["training"]}, values)
    job = jobs_repo.create_job(session, search.tenant_id, search.dataset_id, spec, max_attempts)
    job.max_runtime_seconds = search.body.get("max_runtime_seconds")
    job.search_id, job.trial, job.params = search.id, number, values
    job.trial_state = {"internal": internal, "rungs": {}, "judged": 0}
    session.flush()
    return job


def _cancel_trials(session: Session, job_ids: list[str]) -> None:
    """Queued trials end cancelled now; running ones stop between mini-batches."""
    if not job_ids:
        return
    session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.status == "queued")
        .values(status="cancelled", finished_at=utcnow(), cancel_requested=True)
    )
    session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.status == "running")
        .values(cancel_requested=True)
    )


def _end(search: Search, status: str, error: str | None) -> None:
    search.status, search.error, search.finished_at = status, error, utcnow()


def _end_done(search: Search, jobs: list[Job]) -> None:
    """All trials have ended: succeeded when one did, failed (with the first error) if not."""
    if any(j.status == "succeeded" for j in jobs):
        _end(search, "succeeded", None)
        return
    errors = [j.error for j in jobs if j.error]
    first = f"; trial {jobs[0].trial}: {errors[0]}" if errors else ""
    _end(search, "failed", f"none of the {len(jobs)} trials succeeded{first}")


def trial_started(session: Session, search_id: str) -> dict[str, Any] | None:
    """A trial of the search was claimed: the search is running (a conditional update from
    queued, so an ended search stays ended). Returns the search's pruning."""
    session.execute(
        update(Search)
        .where(Search.id == search_id, Search.status == "queued")
        .values(status="running", started_at=utcnow())
    )
    pruning = session.scalar(select(Search.pruning).where(Search.id == search_id))
    session.commit()
    return pruning


def judge_trial(session: Session, job_id: str, owner: str | None = None) -> bool:
    """Mark the search running, then ask its pruner about a running trial's epochs not judged
    yet; a pruned trial is asked to stop like a cancel, with its reason. With `owner` the
    write is fenced on that lease. Returns whether it was pruned now."""
    trial = session.get(Job, job_id)
    search_id = trial.search_id if trial is not None else None
    session.commit()
    if search_id is None:
        return False
    search = lock_search(session, search_id)
    if search is not None and search.status == "queued":  # its first trial's first epoch
        search.status, search.started_at = "running", utcnow()
    if search is None or not search.pruning or search.status in TERMINAL:
        session.commit()
        return False
    jobs = trial_jobs(session, search_id)
    job = next((j for j in jobs if j.id == job_id), None)
    if job is None or job.status != "running" or job.cancel_requested:
        session.commit()
        return False
    metric, direction = search.objective["metric"], search.objective["direction"]
    median = search.pruning["type"] == "median"
    done = [j.id for j in jobs if j.status == "succeeded"] if median else []
    values = epoch_values(session, [job_id, *done], metric)
    others = records([j for j in jobs if j.id != job_id], metric, values)
    (this,) = records([job], metric, values)
    state = dict(job.trial_state or {})
    judged = int(state.get("judged", 0))
    if not this.intermediate or max(this.intermediate) <= judged:
        session.commit()
        return False
    pruned_at, rungs = judge(search.pruning, direction, ranges_of(search), others, this, judged)
    state.update(rungs=rungs, judged=pruned_at or max(this.intermediate))
    changes: dict[str, Any] = {"trial_state": state}
    if pruned_at is not None:
        changes.update(cancel_requested=True, stop_reason=_reason(search, pruned_at, this))
    fence = [Job.id == job_id, Job.status == "running"]
    if owner is not None:
        fence.append(Job.lease_owner == owner)
    won = session.execute(update(Job).where(*fence).values(**changes)).rowcount == 1
    session.commit()
    if won and pruned_at is not None:
        log.info("search %s: trial %s pruned at epoch %d", search_id, job.trial, pruned_at)
    return won and pruned_at is not None


def _reason(search: Search, epoch: int, trial: TrialRecord) -> str:
    pruning, metric = search.pruning or {}, search.objective["metric"]
    value = trial.intermediate[epoch]
    if pruning.get("type") == "asha":
        return (
            f"pruned by asha at epoch {epoch}: {metric} {value:.4g} is not in the best "
            f"1/{pruning['reduction_factor']} of the trials that reached epoch {epoch}"
        )
    return (
        f"pruned by median at epoch {epoch}: {metric} {value:.4g} is worse than the median "
        f"of the finished trials at epoch {epoch}"
    )
