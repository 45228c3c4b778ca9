"""Predictions from a loaded model for rows of features (or a table's records) sent as JSON."""

from __future__ import annotations

from typing import Any

import numpy as np

from service.data import DatasetError, format_instances
from service.serving.model import LoadedModel
from service.serving.table_rows import needs_table_rows, table_rows


def predict(model: LoadedModel, instances: list[Any]) -> dict[str, Any]:
    """{"predictions": [...], "probabilities": [[...]] | None} for a list of feature rows."""
    warnings: list[dict[str, Any]] = []
    if model.encoding is not None and needs_table_rows(instances, model.encoding):
        rows = table_rows(instances, model.encoding, set(model.skipped))
        X, warnings = model.encoding.transform(rows.X), rows.warnings
    else:
        X = format_instances(instances, model.input_shape)
    try:
        out = model.network.predict(model.standardizer.transform(X))
    except ValueError as exc:  # inputs the network cannot take, e.g. unknown token ids
        raise DatasetError(f"instances: {exc}") from None
    extra = {"warnings": warnings} if warnings else {}
    if model.task == "regression":
        values = model.target_scaler.inverse_transform(out) if model.target_scaler else out
        values = np.asarray(values).reshape(len(X), -1)[:, 0]
        return {"predictions": [float(v) for v in values], **extra}
    classes = model.classes or []
    if out.shape[-1] == 1:  # one sigmoid unit: P(class 1)
        p1 = out[:, 0].astype(np.float64)
        probs = np.stack([1.0 - p1, p1], axis=1)
    else:
        probs = out.astype(np.float64)
    labels = [classes[i] for i in probs.argmax(axis=1)]
    return {"predictions": labels, "probabilities": np.round(probs, 6).tolist(), **extra}
