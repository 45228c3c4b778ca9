"""A job's and a model's numbers, each labelled with the epoch (and units) it comes from.

A finished job's metrics (service/jobs/model_row.py final_metrics) hold the model's epoch at
the top level (the best one when early stopping restored it) and the last epoch under
`last_epoch`; regression losses are on standardised targets, MAE in the target's units.
"""

from __future__ import annotations

from typing import Any

RUN_KEYS = ("epoch", "epochs_run", "epochs_planned", "stopped_early", "restored_best_epoch",
            "last_epoch", "units", "validation")  # fmt: skip
REGRESSION_LOSSES = ("mse", "mae", "huber")


def is_regression(metrics: dict[str, Any]) -> bool:
    """Regression metrics carry units (finished jobs) or MAE (every epoch)."""
    return "units" in metrics or "mae" in metrics


def unit(name: str, regression: bool) -> str:
    """', standardised' for regression losses, ', target units' for MAE, else ''."""
    if not regression:
        return ""
    if name in ("loss", "val_loss"):
        return ", standardised"
    return ", target units" if name.endswith("mae") else ""


def epoch_tag(metrics: dict[str, Any]) -> str:
    """Which epoch the top-level numbers are from: 'best epoch 12, restored', 'last epoch 22'
    (a finished job) or 'epoch 7' (a running one)."""
    if metrics.get("restored_best_epoch") is not None:
        return f"best epoch {metrics['restored_best_epoch']}, restored"
    if "epochs_run" in metrics:
        return f"last epoch {metrics['epoch']}"
    return f"epoch {metrics.get('epoch')}"


def _numbers(values: dict[str, Any], tag: str, regression: bool) -> dict[str, Any]:
    names = [k for k in ("loss", "val_loss") if k in values]
    names += sorted(k for k in values if k not in names and k not in RUN_KEYS)
    return {f"{k} ({tag}{unit(k, regression)})": values[k] for k in names}


def labelled_metrics(metrics: dict[str, Any] | None) -> dict[str, Any]:
    """{'loss (best epoch 12, restored)': ..., 'loss (last epoch 22)': ..., ...}: the model's
    epoch first, then the last epoch's when they differ."""
    metrics = metrics or {}
    regression = is_regression(metrics)
    out = _numbers(metrics, epoch_tag(metrics), regression)
    last = metrics.get("last_epoch")
    if metrics.get("restored_best_epoch") is not None and isinstance(last, dict):
        out.update(_numbers(last, f"last epoch {last.get('epoch')}", regression))
    return out


def epochs_text(metrics: dict[str, Any] | None, progress: dict[str, Any] | None) -> str | None:
    """'22 of 60, stopped early' / '60 of 60' for a finished job, '7/60' while running."""
    metrics = metrics or {}
    if "epochs_run" in metrics and metrics.get("epochs_planned"):
        run, planned = metrics["epochs_run"], metrics["epochs_planned"]
        return f"{run} of {planned}" + (", stopped early" if metrics.get("stopped_early") else "")
    if progress:
        return f"{progress['epoch']}/{progress['epochs']}"
    return None


def loss_label(training: dict[str, Any]) -> str:
    """'loss' or, for a regression loss, 'loss (standardised)'."""
    loss = training.get("loss")
    name = loss.get("type") if isinstance(loss, dict) else loss
    return "loss (standardised)" if name in REGRESSION_LOSSES else "loss"
