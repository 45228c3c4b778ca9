"""Turn a stored dataset and a training spec into scaled train/validation arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from service.data import Standardizer, TargetScaler, train_val_split


@dataclass
class PreparedData:
    """Float32 arrays ready for the engine plus the preprocessing to save with the model.

    X_*: (N, F...) standardised features; y_*: (N,) int64 class ids, or (N, 1) scaled targets.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    preprocessing: dict[str, Any]


def prepare(X: np.ndarray, y: np.ndarray, task: str, training: dict[str, Any]) -> PreparedData:
    """Split by validation_split and seed (stratified for classes), fit scalers on train only."""
    train_idx, val_idx = train_val_split(
        len(X),
        float(training.get("validation_split", 0.0)),
        int(training.get("seed", 0)),
        stratify=y if task == "classification" else None,
    )
    scaler = Standardizer().fit(X[train_idx])
    X_train = scaler.transform(X[train_idx])
    X_val = scaler.transform(X[val_idx]) if len(val_idx) else None
    preprocessing: dict[str, Any] = {"standardizer": scaler.to_dict()}
    if task == "regression":
        y2 = y.astype(np.float32).reshape(len(y), -1)
        target_scaler = TargetScaler().fit(y2[train_idx])
        y_train = target_scaler.transform(y2[train_idx])
        y_val = target_scaler.transform(y2[val_idx]) if len(val_idx) else None
        preprocessing["target_scaler"] = target_scaler.to_dict()
    else:
        y_train = y[train_idx]
        y_val = y[val_idx] if len(val_idx) else None
    return PreparedData(X_train, y_train, X_val, y_val, preprocessing)
