"""How a training run ends in the database: terminal status, model, or back to the queue.

Every write is fenced on the worker's lease (in the repositories) and retried through
connection loss.
"""

from __future__ import annotations

import logging
from typing import Any

from service.config import Settings
from service.db import jobs_repo, runs_repo
from service.db.models import Job
from service.db.retry import run_in_session
from service.engine import Network
from service.jobs.context import JobContext
from service.jobs.model_row import final_metrics, model_row

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker owns the job now; stop without writing anything."""


def finish(settings: Settings, job_id: str, owner: str, status: str, **kw: Any) -> str:
    """Terminal status (with error, metrics...) once; 'lease-lost' if not ours any more."""
    won = run_in_session(
        settings.sqlalchemy_url,
        lambda s: jobs_repo.finish(s, job_id, owner, status, **kw),
        what="finish",
    )
    return status if won else "lease-lost"


def release(settings: Settings, job_id: str, owner: str) -> str:
    """Back to queued for another worker (graceful shutdown)."""
    won = run_in_session(
        settings.sqlalchemy_url, lambda s: runs_repo.release(s, job_id, owner), what="release"
    )
    return "requeued" if won else "lease-lost"


def keep_model_on_cancel(settings: Settings, job_id: str) -> bool:
    """Whether the cancel request asked to keep the weights as a model."""
    return run_in_session(
        settings.sqlalchemy_url,
        lambda s: bool(s.get(Job, job_id).keep_model_on_cancel),
        what="read cancel request",
    )


def stop_reason(settings: Settings, job_id: str) -> str | None:
    """Why the service (not the user) asked the job to stop, e.g. a pruned trial."""
    return run_in_session(
        settings.sqlalchemy_url,
        lambda s: s.get(Job, job_id).stop_reason,
        what="read stop reason",
    )


def save_model(
    settings: Settings,
    ctx: JobContext,
    owner: str,
    net: Network,
    history: list[Any],
    best_epoch: int | None,
    preprocessing: dict[str, Any],
    status: str,
    validation: dict[str, Any] | None = None,
) -> str:
    """Write the model row and the terminal status in one fenced transaction; the model's
    metrics add `validation` (the evaluate metrics of the validation split) when given."""
    metrics = final_metrics(history, best_epoch, ctx.plan.epochs, ctx.plan.task, status)
    model_metrics = {**metrics, "validation": validation} if validation else metrics
    training_seconds = sum(r.seconds for r in history)  # resumed epochs included
    model = model_row(ctx, net, model_metrics, preprocessing, training_seconds)
    last_epoch = history[-1].epoch if status == "succeeded" else None
    if (
        finish(
            settings, ctx.job_id, owner, status, metrics=metrics, model=model, last_epoch=last_epoch
        )
        != status
    ):
        raise LeaseLost(ctx.job_id)
    log.info("job %s %s, model %s", ctx.job_id, status, model.id)
    return status
