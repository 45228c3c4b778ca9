"""Turn a stored dataset and a training spec into scaled train/validation arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from service.data import Standardizer, TargetScaler, train_val_split


@dataclass
class PreparedData:
    """Float32 arrays ready for the engine plus the preprocessing to save with the model.

    X_*: (N, ...) standardised features (token ids unchanged); y_*: (N,) int64 class ids, or
    (N, 1) scaled targets.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    preprocessing: dict[str, Any]


def scales_inputs(training: dict[str, Any], network: dict[str, Any] | None) -> bool:
    """Whether to standardise X: input_scaling "standardize" / "none", or "auto" (the
    default): yes unless the network starts with an embedding (its inputs are token ids)."""
    mode = training.get("input_scaling", "auto")
    if mode != "auto":
        return mode == "standardize"
    layers = (network or {}).get("layers") or [{}]
    return layers[0].get("type") != "embedding"


def check_token_ids(X: np.ndarray, network: dict[str, Any] | None) -> None:
    """Raise ValueError unless X holds integer ids below the first embedding's input_dim."""
    layers = (network or {}).get("layers") or [{}]
    if layers[0].get("type") != "embedding":
        return
    vocab = int(layers[0]["input_dim"])
    bad = (X != np.round(X)) | (X < 0) | (X >= vocab)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"X[{', '.join(map(str, where))}] is {float(X[where])!r}, but an embedding layer "
            f"needs integer token ids in [0, {vocab - 1}] (input_dim is the vocabulary size)"
        )


def identity_standardizer(n_last: int) -> Standardizer:
    """A Standardizer that leaves inputs unchanged (mean 0, std 1 over the last axis)."""
    return Standardizer(np.zeros(n_last, dtype=np.float32), np.ones(n_last, dtype=np.float32))


def prepare(
    X: np.ndarray,
    y: np.ndarray,
    task: str,
    training: dict[str, Any],
    network: dict[str, Any] | None = None,
) -> PreparedData:
    """Split by validation_split and seed (stratified for classes), fit scalers on train only.

    ``network`` (the job's network spec) decides input scaling under "auto"; without it
    inputs are standardised. The stored preprocessing always has a "standardizer" (an
    identity one when inputs are not scaled) and "scale_inputs".
    """
    train_idx, val_idx = train_val_split(
        len(X),
        float(training.get("validation_split", 0.0)),
        int(training.get("seed", 0)),
        stratify=y if task == "classification" else None,
    )
    check_token_ids(X, network)
    scale = scales_inputs(training, network)
    scaler = Standardizer().fit(X[train_idx]) if scale else identity_standardizer(X.shape[-1])
    X_train = scaler.transform(X[train_idx])
    X_val = scaler.transform(X[val_idx]) if len(val_idx) else None
    preprocessing: dict[str, Any] = {"standardizer": scaler.to_dict(), "scale_inputs": scale}
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
