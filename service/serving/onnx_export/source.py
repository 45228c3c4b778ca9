"""What an export reads from a stored model: plain data, no database session needed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from service.db.blobs import npz_to_arrays
from service.db.models import TrainedModel
from service.jobs.resolved import resolved_spec


@dataclass(frozen=True)
class ExportSource:
    """A trained model as data.

    layers: the network spec's layer list; input_shape: per-sample input shape (no batch);
    weights: arrays keyed like ``layers.0.W`` (parameters and batchnorm statistics);
    preprocessing: {"standardizer": {mean, std}, "target_scaler"?: {mean, std}};
    classes: the class labels in output order (None for regression);
    job_spec: the spec the model was trained with (network, training; defaults filled in)."""

    model_id: str
    dataset_id: str
    job_id: str
    task: str
    layers: list[dict[str, Any]]
    input_shape: tuple[int, ...]
    weights: dict[str, np.ndarray]
    preprocessing: dict[str, Any]
    classes: list[Any] | None
    feature_names: list[str]
    target: str | None
    job_spec: dict[str, Any]


def source_from_row(row: TrainedModel) -> ExportSource:
    """The export's view of a model row (reads its deferred weights)."""
    schema = row.input_schema
    return ExportSource(
        model_id=row.id,
        dataset_id=row.dataset_id,
        job_id=row.job_id,
        task=row.task,
        layers=list(row.network["layers"]),
        input_shape=tuple(int(d) for d in schema["input_shape"]),
        weights=npz_to_arrays(row.weights),
        preprocessing=dict(row.preprocessing),
        classes=row.classes,
        feature_names=list(schema.get("feature_names") or []),
        target=schema.get("target"),
        job_spec={
            "dataset_id": row.dataset_id,
            **resolved_spec({"network": row.network, "training": row.training}, row.task),
        },
    )
