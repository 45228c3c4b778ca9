"""Build the stored model row from a trained network and its job."""

from __future__ import annotations

from typing import Any

from service import __version__
from service.db.blobs import arrays_to_npz
from service.db.models import TrainedModel, new_id
from service.engine import Network
from service.jobs.context import JobContext


def lineage(ctx: JobContext, training_seconds: float) -> dict[str, Any]:
    """Where a model came from: data set and its SHA-256, job spec and seed, job, attempts,
    training time (s, every attempt's epochs), the search and trial number (None for a plain
    job) and
    the service version that trained it."""
    return {
        "dataset_id": ctx.dataset_id,
        "dataset_sha256": ctx.dataset_sha256,
        "job_id": ctx.job_id,
        "spec": ctx.spec,
        "seed": ctx.plan.training.get("seed"),
        "attempts": ctx.attempt,
        "training_seconds": round(float(training_seconds), 6),
        "search_id": ctx.search_id,
        "trial": ctx.trial,
        "service_version": __version__,
    }


def model_row(
    ctx: JobContext,
    net: Network,
    metrics: dict[str, Any],
    preprocessing: dict[str, Any],
    training_seconds: float,
) -> TrainedModel:
    """A TrainedModel for `net`'s current weights (id assigned here, not at flush)."""
    return TrainedModel(
        id=new_id(),
        tenant_id=ctx.tenant_id,
        job_id=ctx.job_id,
        dataset_id=ctx.dataset_id,
        task=ctx.plan.task,
        network=ctx.plan.network,
        training=ctx.plan.training_spec(),
        layers=net.summary(),
        num_params=int(net.num_params),
        metrics=metrics,
        input_schema=input_schema(ctx.input_schema, preprocessing),
        classes=ctx.plan.dataset.classes,
        preprocessing=preprocessing,
        lineage=lineage(ctx, training_seconds),
        weights=arrays_to_npz(net.get_weights()),
    )


def input_schema(base: dict[str, Any], preprocessing: dict[str, Any]) -> dict[str, Any]:
    """What predict takes: a table's columns with kind, levels and imputation values."""
    encoding = preprocessing.get("encoding")
    return base if encoding is None else {**base, "columns": encoding["columns"]}


def final_metrics(history: list[Any], best_epoch: int | None) -> dict[str, Any]:
    """Metrics of the best epoch (when early stopping restored it) or of the last."""
    chosen = history[-1]
    if best_epoch is not None:
        chosen = next((r for r in history if r.epoch == best_epoch), chosen)
    return {
        "epoch": chosen.epoch,
        "epochs_run": history[-1].epoch,
        "loss": chosen.loss,
        "val_loss": chosen.val_loss,
        **chosen.metrics,
    }
