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


def final_metrics(
    history: list[Any], best_epoch: int | None, planned: int, task: str, status: str
) -> dict[str, Any]:
    """Metrics of the model's epoch (the best one when early stopping restored it, else the
    last), labelled next to the last epoch's.

    Top level: ``epoch`` (the model's), ``loss``, ``val_loss`` and metrics of that epoch;
    ``epochs_run`` of ``epochs_planned``; ``stopped_early`` (succeeded before the planned
    epochs); ``restored_best_epoch`` (the model's epoch when it is not the last, else None);
    ``last_epoch`` {epoch, loss, val_loss, metrics...}; for regression ``units`` saying that
    losses are in standardised targets and MAE in the target's own units.
    """
    last = history[-1]
    chosen = last
    if best_epoch is not None:
        chosen = next((r for r in history if r.epoch == best_epoch), chosen)
    metrics: dict[str, Any] = {
        "epoch": chosen.epoch,
        "epochs_run": last.epoch,
        "epochs_planned": planned,
        "stopped_early": status == "succeeded" and last.epoch < planned,
        "restored_best_epoch": chosen.epoch if chosen.epoch != last.epoch else None,
        **epoch_numbers(chosen),
        "last_epoch": {"epoch": last.epoch, **epoch_numbers(last)},
    }
    if task == "regression":
        metrics["units"] = REGRESSION_UNITS
    return metrics


REGRESSION_UNITS = {
    "loss": "standardised target: (y - mean) / std of the training split",
    "mae": "the target's own units",
}
"""What regression numbers are measured in: losses (loss, val_loss) on the scaled targets
the network trains on, MAE (mae, val_mae) back in the target's units; R^2 has none."""


def epoch_numbers(record: Any) -> dict[str, Any]:
    """loss, val_loss and the metrics of one epoch record."""
    return {"loss": record.loss, "val_loss": record.val_loss, **record.metrics}
