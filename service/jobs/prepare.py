"""Turn a stored dataset into the engine's inputs as the job plan says: split, scaled
features, scaled targets, and the preprocessing to save with the model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from service.data import Standardizer, TargetScaler, train_val_split
from service.data.encoding import TableEncoding
from service.jobs.plan import DataPlan


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
class _Fitted:
    """What both preparations share: the split, the (encoded) features, the fitted scaler,
    every row's target."""

    train_idx: np.ndarray
    val_idx: np.ndarray
    X: np.ndarray
    scaler: Standardizer
    targets: np.ndarray
    preprocessing: dict[str, Any]


def _fit(X: np.ndarray, y: np.ndarray, plan: DataPlan, *, blockwise: bool) -> _Fitted:
    """Split by validation_split and seed (stratified for classes), check token ids, encode
    a table's columns (gaps filled from the training rows, categories one-hot), fit the
    scaler (block by block over the training rows with `blockwise`; one-hot inputs are left
    as they are) and the target scaler on the training rows only. The preprocessing always
    has a "standardizer" (an identity one when inputs are not scaled) and "scale_inputs",
    and "encoding" for a table."""
    train_idx, val_idx = train_val_split(
        len(y),
        plan.validation_split,
        plan.seed,
        stratify=y if plan.task == "classification" else None,
    )
    check_token_ids(X, plan.token_vocab)
    preprocessing: dict[str, Any] = {"scale_inputs": plan.scale_inputs}
    one_hot = None
    if plan.columns is not None:
        encoding = TableEncoding.fit(X, train_idx, list(plan.columns), plan.impute)
        X = encoding.transform(X)
        one_hot = encoding.one_hot
        preprocessing["encoding"] = encoding.to_dict()
    if not plan.scale_inputs:
        scaler = identity_standardizer(X.shape[-1])
    elif blockwise:
        scaler = Standardizer().fit_rows(X, train_idx)
    else:
        scaler = Standardizer().fit(X[train_idx])
    if one_hot is not None and one_hot.any():
        scaler.mean[one_hot], scaler.std[one_hot] = 0.0, 1.0
    preprocessing["standardizer"] = scaler.to_dict()
    if plan.class_weight is not None:
        preprocessing["class_weights"] = list(class_weights(plan.class_weight, y[train_idx]))
    targets = y
    if plan.task == "regression":
        y2 = y.astype(np.float32).reshape(len(y), -1)
        target_scaler = TargetScaler().fit(y2[train_idx])
        preprocessing["target_scaler"] = target_scaler.to_dict()
        targets = target_scaler.transform(y2)
    return _Fitted(train_idx, val_idx, X, scaler, targets, preprocessing)


def class_weights(weight: str | tuple[float, ...], y_train: np.ndarray) -> tuple[float, ...]:
    """The plan's class weights; "balanced": n / (C * count_k) over the n training labels
    (the stratified split keeps a row of every class in training, so all C occur)."""
    if weight != "balanced":
        return tuple(weight)
    counts = np.bincount(np.asarray(y_train, dtype=np.int64))
    return tuple(float(w) for w in len(y_train) / (len(counts) * np.maximum(counts, 1)))


def prepare(X: np.ndarray, y: np.ndarray, plan: DataPlan) -> PreparedData:
    """Split and scale up front (copies X's rows)."""
    f = _fit(X, y, plan, blockwise=False)
    has_val = len(f.val_idx) > 0
    return PreparedData(
        f.scaler.transform(f.X[f.train_idx]),
        f.targets[f.train_idx],
        f.scaler.transform(f.X[f.val_idx]) if has_val else None,
        f.targets[f.val_idx] if has_val else None,
        f.preprocessing,
    )


def prepare_indexed(X: np.ndarray, y: np.ndarray, plan: DataPlan) -> IndexedData:
    """Like prepare() without copying X: the split is kept as row indices, the scaler is
    fitted block by block on the training rows and applied to each batch by the engine."""
    f = _fit(X, y, plan, blockwise=True)
    return IndexedData(
        f.X,
        f.targets,
        f.train_idx,
        f.val_idx if len(f.val_idx) else None,
        f.scaler.transform if plan.scale_inputs else None,
        f.preprocessing,
    )


def check_token_ids(X: np.ndarray, vocab: int | None, chunk: int = 65536) -> None:
    """Raise ValueError unless X holds integer ids in [0, vocab) (no check without vocab)."""
    if vocab is None:
        return
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


def fit_inputs(
    X: np.ndarray, y: np.ndarray, plan: DataPlan
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data keyword arguments for engine.fit, preprocessing to save with the model).

    A memory-mapped X is trained in place (indices and a per-batch transform, no copy);
    an in-memory X is split and scaled up front.
    """
    if isinstance(X, np.memmap):
        d = prepare_indexed(X, y, plan)
        kwargs = {
            "X": d.X,
            "y": d.y,
            "train_index": d.train_index,
            "val_index": d.val_index,
            "batch_transform": d.batch_transform,
        }
        return kwargs, d.preprocessing
    p = prepare(X, y, plan)
    return {"X": p.X_train, "y": p.y_train, "X_val": p.X_val, "y_val": p.y_val}, p.preprocessing
