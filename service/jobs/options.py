"""Map a stored training spec to the keyword arguments of service.engine.fit."""

from __future__ import annotations

from typing import Any

from service.jobs.validate import resolve_loss


def fit_options(training: dict[str, Any], task: str) -> dict[str, Any]:
    """Engine options from the training spec (everything but data and callbacks).

    Specs stored before an option existed simply lack its key; the engine default applies.
    """
    return {
        "loss": resolve_loss(training, task),
        "optimizer": training["optimizer"],
        "epochs": int(training["epochs"]),
        "batch_size": int(training["batch_size"]),
        "task": task,
        "seed": int(training["seed"]),
        "shuffle": bool(training.get("shuffle", True)),
        "early_stopping": training.get("early_stopping"),
        "regularization": training.get("regularization"),
        "gradient_clip_norm": training.get("gradient_clip_norm"),
        "lr_schedule": training.get("lr_schedule"),
    }
