"""The public views of a search and its trials, read from the database."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy.orm import Session

from service.db.jobs_repo import TERMINAL
from service.db.models import Job, Search, utcnow
from service.schemas.searches import Best, SearchOut, TrialCounts, TrialOut, TrialsOut
from service.search.trials import best_trial, epochs_run, trial_jobs, trial_status, trial_value


def trial_out(job: Job, metric: str) -> TrialOut:
    return TrialOut(
        trial=job.trial or 0,
        job_id=job.id,
        status=trial_status(job),
        params=job.params or {},
        value=trial_value(job, metric),
        epochs_run=epochs_run(job),
        started_at=job.started_at,
        finished_at=job.finished_at,
        model_id=job.model_id,
        error=job.error,
    )


def trials_out(session: Session, search: Search) -> TrialsOut:
    jobs = trial_jobs(session, search.id)
    metric = search.objective["metric"]
    return TrialsOut(
        search_id=search.id,
        objective=search.objective,
        trials=[trial_out(job, metric) for job in jobs],
    )


def best_of(jobs: list[Job], objective: dict[str, str]) -> Best | None:
    job = best_trial(jobs, objective)
    if job is None:
        return None
    return Best(
        job_id=job.id,
        trial=job.trial or 0,
        model_id=job.model_id,
        params=job.params or {},
        value=trial_value(job, objective["metric"]) or 0.0,
    )


def progress(search: Search, jobs: list[Job]) -> float:
    """Fraction of the search done: ended trials count whole, running ones by epoch."""
    done = sum(
        1.0 if job.status in TERMINAL else float((job.progress or {}).get("fraction") or 0.0)
        for job in jobs
    )
    if search.status in TERMINAL:
        return 1.0
    return round(min(1.0, done / max(1, search.total_trials)), 6)


def eta_seconds(search: Search, fraction: float) -> float | None:
    """Time left at the pace so far; None before any progress or after the end."""
    if search.status in TERMINAL or search.started_at is None or fraction <= 0:
        return None
    started = search.started_at
    if started.tzinfo is None:  # SQLite hands back naive UTC
        started = started.replace(tzinfo=UTC)
    elapsed = (utcnow() - started.astimezone(UTC)).total_seconds()
    return round(max(0.0, elapsed * (1 - fraction) / fraction), 3)


def search_out(session: Session, search: Search) -> SearchOut:
    jobs = trial_jobs(session, search.id)
    counts = TrialCounts()
    for job in jobs:
        status = trial_status(job)
        setattr(counts, status, getattr(counts, status) + 1)
    fraction = progress(search, jobs)
    computed = {
        "trials": counts,
        "progress": fraction,
        "eta_seconds": eta_seconds(search, fraction),
        "best": best_of(jobs, search.objective),
    }
    stored = {f: getattr(search, f) for f in SearchOut.model_fields if f not in computed}
    return SearchOut(**stored, **computed)
