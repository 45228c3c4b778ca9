"""Turn a stored dataset and a training spec into scaled train/validation arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from service.data import Standardizer, TargetScaler, train_val_split


@dataclass
class IndexedData:
    """A dataset trained in place (e.g. a memory map): the engine gathers and scales each
    batch itself. X: (N, ...) as stored; y: (N,) class ids or (N, 1) scaled targets."""

    X: np.ndarray
    y: np.ndarray
    train_index: np.ndarray
    val_index: np.ndarray | None
    batch_transform: Any
    preprocessing: dict[str, Any]


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


def check_token_ids(X: np.ndarray, network: dict[str, Any] | None, chunk: int = 65536) -> None:
    """Raise ValueError unless X holds integer ids below the first embedding's input_dim."""
    layers = (network or {}).get("layers") or [{}]
    if layers[0].get("type") != "embedding":
        return
    vocab = int(layers[0]["input_dim"])
    for start in range(0, len(X), chunk):
        block = np.asarray(X[start : start + chunk])
        bad = (block != np.round(block)) | (block < 0) | (block >= vocab)
        if not bad.any():
            continue
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        where = (where[0] + start, *where[1:])
        raise ValueError(
            f"X[{', '.join(map(str, where))}] is {float(X[where])!r}, but an embedding layer "
            f"needs integer token ids in [0, {vocab - 1}] (input_dim is the vocabulary size)"
        )


def identity_standardizer(n_last: int) -> Standardizer:
    """A Standardizer that leaves inputs unchanged (mean 0, std 1 over the last axis)."""
    return Standardizer(np.zeros(n_last, dtype=np.float32), np.ones(n_last, dtype=np.float32))


def _split(y: np.ndarray, task: str, training: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, val_idx) by validation_split and seed, stratified for classes."""
    return train_val_split(
        len(y),
        float(training.get("validation_split", 0.0)),
        int(training.get("seed", 0)),
        stratify=y if task == "classification" else None,
    )


def _targets(
    y: np.ndarray, task: str, train_idx: np.ndarray, preprocessing: dict[str, Any]
) -> np.ndarray:
    """Training targets for every row: class ids as stored, or (N, 1) regression targets
    scaled by a TargetScaler fitted on the training rows (recorded in `preprocessing`)."""
    if task != "regression":
        return y
    y2 = y.astype(np.float32).reshape(len(y), -1)
    target_scaler = TargetScaler().fit(y2[train_idx])
    preprocessing["target_scaler"] = target_scaler.to_dict()
    return target_scaler.transform(y2)


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
    train_idx, val_idx = _split(y, task, training)
    check_token_ids(X, network)
    scale = scales_inputs(training, network)
    scaler = Standardizer().fit(X[train_idx]) if scale else identity_standardizer(X.shape[-1])
    X_train = scaler.transform(X[train_idx])
    X_val = scaler.transform(X[val_idx]) if len(val_idx) else None
    preprocessing: dict[str, Any] = {"standardizer": scaler.to_dict(), "scale_inputs": scale}
    targets = _targets(y, task, train_idx, preprocessing)
    y_val = targets[val_idx] if len(val_idx) else None
    return PreparedData(X_train, targets[train_idx], X_val, y_val, preprocessing)


def prepare_indexed(
    X: np.ndarray,
    y: np.ndarray,
    task: str,
    training: dict[str, Any],
    network: dict[str, Any] | None = None,
) -> IndexedData:
    """Like prepare() without copying X: the split is kept as row indices, the scaler is
    fitted block by block on the training rows and applied to each batch by the engine."""
    train_idx, val_idx = _split(y, task, training)
    check_token_ids(X, network)
    scale = scales_inputs(training, network)
    scaler = Standardizer().fit_rows(X, train_idx) if scale else identity_standardizer(X.shape[-1])
    preprocessing: dict[str, Any] = {"standardizer": scaler.to_dict(), "scale_inputs": scale}
    transform = _scaling(scaler.mean, scaler.std) if scale else None
    targets = _targets(y, task, train_idx, preprocessing)
    return IndexedData(
        X, targets, train_idx, val_idx if len(val_idx) else None, transform, preprocessing
    )


def _scaling(mean: np.ndarray, std: np.ndarray):  # noqa: ANN202
    """batch -> (batch - mean) / std in float32, the arithmetic of Standardizer.transform."""
    mean, std = mean.astype(np.float32), std.astype(np.float32)

    def transform(batch: np.ndarray) -> np.ndarray:
        # a new (batch-sized) array: the batch may be a view of the read-only memory map
        return np.divide(np.subtract(batch, mean, dtype=np.float32), std)

    return transform


def fit_inputs(
    X: np.ndarray,
    y: np.ndarray,
    task: str,
    training: dict[str, Any],
    network: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data keyword arguments for engine.fit, preprocessing to save with the model).

    A memory-mapped X is trained in place (indices and a per-batch transform, no copy);
    an in-memory X is split and scaled up front.
    """
    if isinstance(X, np.memmap):
        d = prepare_indexed(X, y, task, training, network)
        kwargs = {
            "X": d.X,
            "y": d.y,
            "train_index": d.train_index,
            "val_index": d.val_index,
            "batch_transform": d.batch_transform,
        }
        return kwargs, d.preprocessing
    p = prepare(X, y, task, training, network)
    return {"X": p.X_train, "y": p.y_train, "X_val": p.X_val, "y_val": p.y_val}, p.preprocessing
