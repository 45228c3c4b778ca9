"""A job spec with the defaults training used filled in, for showing it back to users."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import object_session

from service.db.models import Dataset, TrainedModel
from service.engine import resolve_loss
from service.engine.initializers import default_initializer

INITIALIZED = ("dense", "conv2d")
"""Layer types with an `initializer` option (default: he for relu/leaky_relu, else glorot)."""


def resolved_spec(spec: dict[str, Any], task: str | None) -> dict[str, Any]:
    """A copy of {"network", "training"} where a loss given as null is the task's default
    (left null when the task is unknown) and an initializer given as null is the layer
    activation's default. Keys a spec leaves out stay out."""
    out = copy.deepcopy(spec)
    training = out["training"]
    if task is not None and "loss" in training and training["loss"] is None:
        training["loss"] = resolve_loss(None, task)
    for layer in out["network"].get("layers", []):
        if layer.get("type") in INITIALIZED and layer.get("initializer", "") is None:
            layer["initializer"] = default_initializer(layer.get("activation") or "linear")
    return out


def job_task(job: Any) -> str | None:
    """The task of a job row's dataset (or, once the dataset is deleted, of its model); None
    when the row is detached or both are gone."""
    session = object_session(job)
    if session is None:
        return None
    dataset = session.get(Dataset, job.dataset_id)
    if dataset is not None:
        return dataset.task
    model = session.get(TrainedModel, job.model_id) if job.model_id else None
    return model.task if model is not None else None
