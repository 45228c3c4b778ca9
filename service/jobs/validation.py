"""The evaluate metrics of a new model on its validation split, computed once training
ends and stored under the model's metrics as "validation"."""

from __future__ import annotations

from typing import Any

import numpy as np

from service.data import TargetScaler
from service.engine import Network
from service.serving.scoring import Scorer

CHUNK_ROWS = 8192


def validation_metrics(
    net: Network,
    inputs: dict[str, Any],
    preprocessing: dict[str, Any],
    task: str,
    classes: list[Any] | None,
) -> dict[str, Any] | None:
    """{"rows", ...metrics} on the validation rows of `inputs` (engine.fit's data: X_val
    and y_val prepared up front, or X with val_index and a per-batch transform); None
    without a validation split. Regression targets are scored in their own units."""
    if inputs.get("X_val") is not None:
        X_val, y = inputs["X_val"], np.asarray(inputs["y_val"])

        def rows(part: slice) -> np.ndarray:
            return X_val[part]

    elif inputs.get("val_index") is not None:
        index, X, transform = inputs["val_index"], inputs["X"], inputs.get("batch_transform")
        y = np.asarray(inputs["y"])[index]

        def rows(part: slice) -> np.ndarray:
            block = np.asarray(X[index[part]])
            return transform(block) if transform is not None else block

    else:
        return None
    scaler = None
    if "target_scaler" in preprocessing:
        scaler = TargetScaler.from_dict(preprocessing["target_scaler"])
    if task == "regression":
        y2 = y.reshape(len(y), -1)
        y = (scaler.inverse_transform(y2) if scaler is not None else y2)[:, 0]
    scorer = Scorer(task, classes, scaler)
    for start in range(0, len(y), CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        scorer.add(net.predict(rows(part)), y[part])
    return {"rows": int(len(y)), **scorer.result()}
