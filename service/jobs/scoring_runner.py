"""run_scoring_job(run_id): claim -> load model and data set -> score chunk by chunk.

The same claim, lease, heartbeat, cancel and release as a training job (a scoring run is a
job row of kind "score"). Each chunk's CSV is stored with the run's progress in one fenced
transaction (service.db.scoring_repo), so a worker that dies mid-run leaves whole chunks
only, and the next attempt starts at the first missing one: no row twice, none lost.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from service.config import Settings, get_settings
from service.data.errors import DatasetError
from service.db import files as dataset_files
from service.db import jobs_repo, runs_repo, scoring_repo
from service.db.blobs import npz_to_arrays
from service.db.models import Dataset, Job, TrainedModel
from service.db.retry import run_in_session
from service.jobs.attempt import run_attempt
from service.jobs.blas import blas_threads
from service.jobs.lease_keeper import lease_kept
from service.jobs.monitor import SHUTDOWN
from service.jobs.outcomes import LeaseLost, finish, release
from service.observability import with_job_log_context
from service.serving.batch_scoring import BatchScorer, ScoringSource
from service.serving.model import load_model

log = logging.getLogger(__name__)


@dataclass
class ScoringRun:
    """A claimed run: ids, attempt, the scorer, the data set's arrays and where to start."""

    run_id: str
    tenant_id: str
    attempt: int
    scorer: BatchScorer
    X: np.ndarray
    y: np.ndarray
    chunk_rows: int
    first_chunk: int


class InputGone(Exception):
    """The run's model or data set was deleted before it could be scored."""


@with_job_log_context
def run_scoring_job(
    run_id: str, settings: Settings | None = None, shutdown: threading.Event | None = None
) -> str:
    """Score the run if this call wins the claim; returns the outcome like
    run_training_job (succeeded, failed, cancelled, requeued, lease-lost, skipped)."""
    settings = settings or get_settings()
    url = settings.sqlalchemy_url
    return run_attempt(
        settings,
        run_id,
        "scoring run",
        lambda: run_in_session(url, lambda s: _load(s, settings, run_id), what="load run"),
        lambda run, owner: _start_and_score(settings, run, owner, shutdown or SHUTDOWN),
        failures=(InputGone, DatasetError),
    )


def _start_and_score(
    settings: Settings, run: ScoringRun, owner: str, shutdown: threading.Event
) -> str:
    """Record the attempt's run row (from the first chunk not stored), then score."""
    first = run.first_chunk
    run_in_session(
        settings.sqlalchemy_url,
        lambda s: runs_repo.start_run(s, run.run_id, run.attempt, owner, first),
        what="start run",
    )
    with blas_threads(settings.blas_threads):
        return _score(settings, run, owner, shutdown)


def _load(session: Session, settings: Settings, run_id: str) -> ScoringRun:
    job = session.get(Job, run_id)
    model_row = session.get(TrainedModel, job.spec["model_id"])
    dataset = session.get(Dataset, job.dataset_id)
    if model_row is None:
        raise InputGone("the model was deleted before the run could score")
    if dataset is None:
        raise InputGone("the data set was deleted before the run could score")
    scorer = BatchScorer(load_model(model_row), ScoringSource.of(dataset))
    scorer.seed_warnings((job.metrics or {}).get("unseen_levels", []))
    if dataset.storage == "file":
        arrays = dataset_files.open_arrays(settings.data_dir, dataset.id)
    else:
        arrays = npz_to_arrays(dataset.arrays)
    return ScoringRun(
        run_id=job.id,
        tenant_id=job.tenant_id,
        attempt=job.attempt,
        scorer=scorer,
        X=arrays["X"],
        y=arrays["y"],
        chunk_rows=int(job.spec["chunk_rows"]),
        first_chunk=scoring_repo.chunks_done(session, run_id),
    )


def _score(settings: Settings, run: ScoringRun, owner: str, shutdown: threading.Event) -> str:
    url = settings.sqlalchemy_url
    total = len(run.X)
    chunks = max(1, math.ceil(total / run.chunk_rows))
    for number in range(run.first_chunk, chunks):
        if shutdown.is_set():
            return release(settings, run.run_id, owner)
        if run_in_session(url, lambda s: jobs_repo.cancel_requested(s, run.run_id), what="poll"):
            return finish(settings, run.run_id, owner, "cancelled")
        lo = number * run.chunk_rows
        hi = min(total, lo + run.chunk_rows)
        with lease_kept(settings, run.run_id, owner):  # a chunk of a big network may be slow
            text = run.scorer.chunk_csv(run.X[lo:hi], run.y[lo:hi], lo, header=number == 0)
        progress = progress_of(hi, total, number + 1, chunks)
        metrics: dict[str, Any] = {"unseen_levels": run.scorer.warnings()}
        chunk = (number, lo, hi - lo, text)
        save = partial(
            scoring_repo.save_chunk,
            job_id=run.run_id,
            owner=owner,
            chunk=chunk,
            progress=progress,
            metrics=metrics,
        )
        saved = run_in_session(url, save, what="save chunk")
        if not saved:
            raise LeaseLost(run.run_id)
    log.info("scoring run %s scored %d rows", run.run_id, total)
    return finish(settings, run.run_id, owner, "succeeded")


def progress_of(rows: int, total: int, chunk: int, chunks: int) -> dict[str, Any]:
    """{"rows": scored, "total", "fraction", "chunk": stored, "chunks"}."""
    fraction = rows / total if total else 1.0
    return {"rows": rows, "total": total, "fraction": fraction, "chunk": chunk, "chunks": chunks}
