"""run_training_job(job_id): claim -> load data -> build -> train -> progress -> save model.

Plain functions: no web, no Celery. The database is the source of truth; every write after
the claim is fenced on this worker's lease, so a worker that lost its job changes nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

from sqlalchemy import update

from service.config import Settings, get_settings
from service.db import jobs_repo
from service.db.blobs import arrays_to_npz, npz_to_arrays
from service.db.models import Dataset, Job, TrainedModel, new_id, utcnow
from service.db.session import session_factory
from service.engine import EpochRecord, TrainingDiverged, build_network, fit
from service.jobs.options import fit_options
from service.jobs.prepare import prepare
from service.jobs.validate import resolve_loss

log = logging.getLogger(__name__)


def worker_identity() -> str:
    """A lease owner name unique to this process and call: host:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseLost(Exception):
    """Another worker owns the job now; stop without writing anything."""


class JobMonitor:
    """Between mini-batches: heartbeat the lease and notice cancellation, both throttled."""

    def __init__(self, settings: Settings, job_id: str, owner: str) -> None:
        self.sessions = session_factory(settings.sqlalchemy_url)
        self.settings = settings
        self.job_id = job_id
        self.owner = owner
        self.cancelled = False
        self.lease_lost = False
        self._last_poll = 0.0
        self._last_beat = time.monotonic()

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now - self._last_poll < self.settings.cancel_poll_seconds:
            return self.cancelled or self.lease_lost
        self._last_poll = now
        with self.sessions() as session:
            if now - self._last_beat >= self.settings.heartbeat_seconds:
                self._last_beat = now
                self.lease_lost = not jobs_repo.heartbeat(session, self.job_id, self.owner)
            self.cancelled = jobs_repo.cancel_requested(session, self.job_id)
        return self.cancelled or self.lease_lost


def _progress(record: EpochRecord, epochs: int, started: float) -> dict[str, Any]:
    elapsed = time.monotonic() - started
    remaining = epochs - record.epoch
    return {
        "epoch": record.epoch,
        "epochs": epochs,
        "fraction": round(record.epoch / epochs, 6),
        "samples_per_second": round(record.samples_per_second, 3),
        "eta_seconds": round(elapsed / record.epoch * remaining, 3),
    }


def run_training_job(job_id: str, settings: Settings | None = None) -> str:
    """Train the job if this call wins the claim; returns the job's final status or 'skipped'."""
    settings = settings or get_settings()
    owner = worker_identity()
    sessions = session_factory(settings.sqlalchemy_url)
    with sessions() as session:
        if not jobs_repo.claim(session, job_id, owner):
            log.info("job %s not claimed (already taken, finished or cancelled)", job_id)
            return "skipped"
    log.info("job %s claimed by %s", job_id, owner)
    try:
        return _train(job_id, owner, settings)
    except LeaseLost:
        log.warning("job %s: lease lost, stopping without writes", job_id)
        return "lease-lost"
    except TrainingDiverged as exc:
        return _fail(sessions, job_id, owner, str(exc))
    except Exception as exc:  # our bug or bad stored data: fail readably, keep the trace in logs
        log.exception("job %s failed", job_id)
        return _fail(sessions, job_id, owner, f"internal error: {type(exc).__name__}: {exc}")


def _fail(sessions, job_id: str, owner: str, reason: str) -> str:  # noqa: ANN001
    with sessions() as session:
        jobs_repo.finish(session, job_id, owner, "failed", error=reason)
    return "failed"


def _train(job_id: str, owner: str, settings: Settings) -> str:
    sessions = session_factory(settings.sqlalchemy_url)
    with sessions() as session:
        job = session.get(Job, job_id)
        dataset = session.get(Dataset, job.dataset_id)
        if dataset is None:
            jobs_repo.finish(session, job_id, owner, "failed", error="dataset was deleted")
            return "failed"
        arrays = npz_to_arrays(dataset.arrays)
        spec, task, classes = job.spec, dataset.task, dataset.classes
        tenant_id, dataset_id = job.tenant_id, dataset.id
        input_schema = {
            "features": dataset.features,
            "input_shape": dataset.input_shape,
            "feature_names": dataset.feature_names,
            "target": dataset.target,
        }
    network, training = spec["network"], spec["training"]
    data = prepare(arrays["X"], arrays["y"], task, training)
    net = build_network(network["layers"], tuple(data.X_train.shape[1:]), seed=training["seed"])
    monitor = JobMonitor(settings, job_id, owner)
    started = time.monotonic()
    epochs = int(training["epochs"])

    def on_epoch_end(record: EpochRecord) -> None:
        with sessions() as session:
            ok = jobs_repo.record_epoch(
                session, job_id, owner, record.to_dict(), _progress(record, epochs, started)
            )
        if not ok:
            monitor.lease_lost = True

    result = fit(
        net,
        data.X_train,
        data.y_train,
        X_val=data.X_val,
        y_val=data.y_val,
        on_epoch_end=on_epoch_end,
        should_stop=monitor.should_stop,
        **fit_options(training, task),
    )
    if monitor.lease_lost:
        raise LeaseLost(job_id)
    if result.stopped == "cancelled":
        with sessions() as session:
            jobs_repo.finish(session, job_id, owner, "cancelled")
        return "cancelled"
    if not result.history:
        raise RuntimeError("training finished without a single epoch")
    final_metrics = _final_metrics(result)
    model = TrainedModel(
        id=new_id(),
        tenant_id=tenant_id,
        job_id=job_id,
        dataset_id=dataset_id,
        task=task,
        network=network,
        training={**training, "loss": resolve_loss(training, task)},
        layers=net.summary(),
        num_params=int(net.num_params),
        metrics=final_metrics,
        input_schema=input_schema,
        classes=classes,
        preprocessing=data.preprocessing,
        weights=arrays_to_npz(net.get_weights()),
    )
    with sessions() as session:
        # One transaction: the model row exists if and only if the job succeeded.
        won = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running", Job.lease_owner == owner)
            .values(
                status="succeeded",
                finished_at=utcnow(),
                model_id=model.id,
                metrics=final_metrics,
            )
        )
        if won.rowcount != 1:
            session.rollback()
            raise LeaseLost(job_id)
        session.add(model)
        session.commit()
    log.info("job %s succeeded, model %s", job_id, model.id)
    return "succeeded"


def _final_metrics(result: Any) -> dict[str, Any]:
    """Metrics of the best epoch (when early stopping restored it) or of the last."""
    history = result.history
    chosen = history[-1]
    if result.best_epoch is not None:
        chosen = next((r for r in history if r.epoch == result.best_epoch), chosen)
    return {
        "epoch": chosen.epoch,
        "epochs_run": history[-1].epoch,
        "loss": chosen.loss,
        "val_loss": chosen.val_loss,
        **chosen.metrics,
    }
