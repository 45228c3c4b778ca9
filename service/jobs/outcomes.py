"""How a training run ends in the database: terminal status, model, or back to the queue.

Every write is fenced on the worker's lease and retried through connection loss.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update

from service.config import Settings
from service.db import jobs_repo, runs_repo
from service.db.models import Job, utcnow
from service.db.retry import with_db_retry
from service.db.session import session_factory
from service.engine import Network
from service.jobs.model_row import JobContext, final_metrics, model_row

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker owns the job now; stop without writing anything."""


def finish(settings: Settings, job_id: str, owner: str, status: str, **kw: Any) -> str:
    """Terminal status (with error, metrics...) once; 'lease-lost' if not ours any more."""

    def write() -> bool:
        with session_factory(settings.sqlalchemy_url)() as session:
            return jobs_repo.finish(session, job_id, owner, status, **kw)

    return status if with_db_retry(write, what="finish") else "lease-lost"


def release(settings: Settings, job_id: str, owner: str) -> str:
    """Back to queued for another worker (graceful shutdown)."""

    def write() -> bool:
        with session_factory(settings.sqlalchemy_url)() as session:
            return runs_repo.release(session, job_id, owner)

    return "requeued" if with_db_retry(write, what="release") else "lease-lost"


def keep_model_on_cancel(settings: Settings, job_id: str) -> bool:
    """Whether the cancel request asked to keep the weights as a model."""

    def read() -> bool:
        with session_factory(settings.sqlalchemy_url)() as session:
            return bool(session.get(Job, job_id).keep_model_on_cancel)

    return with_db_retry(read, what="read cancel request")


def save_model(
    settings: Settings,
    ctx: JobContext,
    owner: str,
    net: Network,
    history: list[Any],
    best_epoch: int | None,
    preprocessing: dict[str, Any],
    status: str,
) -> str:
    """Write the model row and the terminal status in one fenced transaction."""
    metrics = final_metrics(history, best_epoch)
    model = model_row(ctx, net, metrics, preprocessing)

    def write() -> bool:
        with session_factory(settings.sqlalchemy_url)() as session:
            values: dict[str, Any] = {
                "status": status,
                "finished_at": utcnow(),
                "model_id": model.id,
                "metrics": metrics,
            }
            if status == "succeeded":  # also when early stopping ended it before `epochs`
                before = session.scalar(select(Job.progress).where(Job.id == ctx.job_id))
                values["progress"] = {
                    **(before or {}),
                    "epoch": history[-1].epoch,
                    "fraction": 1.0,
                    "eta_seconds": 0.0,
                }
            won = session.execute(
                update(Job).where(jobs_repo.fenced(ctx.job_id, owner)).values(**values)
            )
            if won.rowcount != 1:
                session.rollback()
                return False
            session.add(model)
            session.commit()
            return True

    if not with_db_retry(write, what="save model"):
        raise LeaseLost(ctx.job_id)
    log.info("job %s %s, model %s", ctx.job_id, status, model.id)
    return status
