"""run_training_job(job_id): claim -> load data -> build -> train -> checkpoint -> save model.

Plain functions: no web, no Celery. The database is the source of truth; every write after
the claim is fenced on this worker's lease, so a worker that lost its job changes nothing.
Each epoch's history row and checkpoint are written in one transaction; a later attempt
resumes from the checkpoint and ends with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from service.config import Settings, get_settings
from service.data.fingerprint import arrays_sha256
from service.db import files as dataset_files
from service.db import runs_repo
from service.db.blobs import npz_to_arrays
from service.db.models import Dataset, Job
from service.db.retry import run_in_session
from service.engine import FitData, FitHooks, TrainingDiverged, TrainingState, fit
from service.jobs.attempt import run_attempt
from service.jobs.blas import blas_threads
from service.jobs.context import JobContext
from service.jobs.lease_keeper import lease_kept
from service.jobs.monitor import SHUTDOWN, JobMonitor
from service.jobs.outcomes import (
    LeaseLost,
    finish,
    keep_model_on_cancel,
    release,
    save_model,
    stop_reason,
)
from service.jobs.plan import DatasetSummary, plan_job
from service.jobs.plan_checks import SpecMismatch
from service.jobs.prepare import fit_inputs
from service.jobs.recorder import EpochRecorder
from service.jobs.validation import validation_metrics
from service.observability import with_job_log_context
from service.search.hooks import TrialJudge


@with_job_log_context
def run_training_job(
    job_id: str, settings: Settings | None = None, shutdown: threading.Event | None = None
) -> str:
    """Train the job if this call wins the claim.

    `shutdown` (default: the process-wide SHUTDOWN event) asks training to checkpoint and
    hand the job back to the queue.

    Returns the outcome: succeeded, failed, cancelled, requeued (graceful shutdown),
    lease-lost, or skipped (another worker has it, or it is no longer queued).
    """
    settings = settings or get_settings()
    stop = shutdown or SHUTDOWN
    return run_attempt(
        settings,
        job_id,
        "job",
        lambda: _load(settings, job_id),
        lambda loaded, owner: _train(settings, *loaded, owner, stop),
        failures=(TrainingDiverged, DatasetGone, DataMismatch),
        context=lambda loaded: loaded[0],
    )


def _load(settings: Settings, job_id: str) -> tuple[JobContext, dict[str, Any]]:
    """Read the job, plan it against its dataset, load the arrays and the checkpoint."""

    def read(session: Session) -> tuple[JobContext, dict[str, Any]]:
        job = session.get(Job, job_id)
        dataset = session.get(Dataset, job.dataset_id)
        if dataset is None:
            raise DatasetGone()
        checkpoint = runs_repo.load_checkpoint(session, job_id)
        try:
            plan = plan_job(job.spec, DatasetSummary.of(dataset))
        except SpecMismatch as exc:  # checked at POST; a dataset stored before a check existed
            raise DataMismatch(str(exc)) from exc
        if dataset.storage == "file":
            data = dataset_files.open_arrays(settings.data_dir, dataset.id)
        else:
            data = npz_to_arrays(dataset.arrays)
        ctx = JobContext(
            job_id=job.id,
            tenant_id=job.tenant_id,
            dataset_id=dataset.id,
            attempt=job.attempt,
            plan=plan,
            input_schema={
                "features": dataset.features,
                "input_shape": list(plan.dataset.input_shape),
                "feature_names": dataset.feature_names,
                "target": dataset.target,
                "ignored": dataset.ignored or [],
            },
            max_runtime=min(
                job.max_runtime_seconds or settings.max_runtime_seconds,
                settings.max_runtime_seconds,
            ),
            runtime_before=(
                float(checkpoint.meta.get("service_runtime_seconds", job.runtime_seconds))
                if checkpoint is not None
                else 0.0
            ),
            search_id=job.search_id,
            trial=job.trial,
            spec=job.spec,
            dataset_sha256=dataset_fingerprint(session, dataset, data),
        )
        if checkpoint is not None:
            data["checkpoint"] = (npz_to_arrays(checkpoint.arrays), checkpoint.meta)
        return ctx, data

    return run_in_session(settings.sqlalchemy_url, read, what="load job")


def dataset_fingerprint(session: Session, dataset: Dataset, data: dict[str, Any]) -> str:
    """The dataset's stored SHA-256; computed from its arrays (and stored) for datasets
    uploaded before fingerprints existed."""
    if dataset.content_sha256 is None:
        dataset.content_sha256 = arrays_sha256(data["X"], data["y"])
        session.commit()
    return dataset.content_sha256


class DataMismatch(Exception):
    """The stored data cannot train this network; the message says where."""


class DatasetGone(Exception):
    """The job's dataset was deleted before it could train."""

    def __str__(self) -> str:
        return "dataset was deleted"


def _train(
    settings: Settings,
    ctx: JobContext,
    arrays: dict[str, Any],
    owner: str,
    shutdown: threading.Event,
) -> str:
    plan = ctx.plan
    try:
        with lease_kept(settings, ctx.job_id, owner):
            inputs, preprocessing = fit_inputs(arrays["X"], arrays["y"], plan.data)
    except ValueError as exc:  # the data does not suit the network (e.g. non-integer token ids)
        raise DataMismatch(str(exc)) from exc
    net = plan.build_network()
    resume = None
    if "checkpoint" in arrays:
        resume = TrainingState.from_payload(*arrays["checkpoint"])
    first_epoch = resume.epoch if resume is not None else 0
    run_in_session(
        settings.sqlalchemy_url,
        lambda s: runs_repo.start_run(s, ctx.job_id, ctx.attempt, owner, first_epoch),
        what="start run",
    )
    monitor = JobMonitor(settings, ctx, owner, shutdown)
    judge = TrialJudge(settings, ctx, owner) if ctx.search_id else None
    recorder = EpochRecorder(settings, ctx, owner, monitor, first_epoch, judge=judge)
    with blas_threads(settings.blas_threads):
        result = fit(
            net,
            FitData(**inputs),
            replace(
                plan.fit_options,
                checkpoint_seconds=settings.checkpoint_seconds or None,
                target_scale=(preprocessing.get("target_scaler") or {}).get("std"),
                class_weights=preprocessing.get("class_weights"),
                keep_epoch_weights=True,  # a cancelled job's model is a finished epoch's
            ),
            FitHooks(
                on_epoch_end=recorder.on_epoch_end,
                should_stop=monitor.should_stop,
                on_checkpoint=recorder.on_checkpoint,
            ),
            resume=resume,
        )
    reason = monitor.reason
    if reason == "lease_lost":
        raise LeaseLost(ctx.job_id)
    if not recorder.flush(checkpoint=reason in ("shutdown", "time_limit")):
        raise LeaseLost(ctx.job_id)
    if reason == "shutdown":
        return release(settings, ctx.job_id, owner)
    if reason == "time_limit":
        done = result.history[-1].epoch if result.history else first_epoch
        error = (
            f"time limit of {ctx.max_runtime:g} s exceeded after epoch {done}; "
            "its latest checkpoint is kept"
        )
        return finish(settings, ctx.job_id, owner, "failed", error=error)
    validation = validation_metrics(net, inputs, preprocessing, plan.task, plan.dataset.classes)

    def save(epoch: int | None, status: str) -> str:
        history = result.history
        return save_model(
            settings, ctx, owner, net, history, epoch, preprocessing, status, validation
        )

    if reason == "cancelled":
        # fit rolled the network back to the best (restore_best) or last finished epoch
        kept = result.restored_epoch
        if kept is not None and result.history and keep_model_on_cancel(settings, ctx.job_id):
            return save(kept, "cancelled")
        reason = stop_reason(settings, ctx.job_id)  # e.g. a pruned trial: why it stopped
        return finish(settings, ctx.job_id, owner, "cancelled", error=reason)
    if not result.history:
        raise RuntimeError("training finished without a single epoch")
    return save(result.restored_epoch, "succeeded")
