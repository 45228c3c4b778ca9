"""Deterministic (optionally stratified) train/validation index split."""

from __future__ import annotations

import math

import numpy as np

from service.data.errors import DatasetError
from service.data.values import is_number


def train_val_split(
    n: int, validation_split: float, seed: int, stratify: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Split range(n) into sorted int64 index arrays (train_idx, val_idx).

    The validation size is round(n * validation_split), at least 1 when the split is > 0
    and n >= 2, and always leaves at least 1 training row; 0 gives an empty val set.
    With ``stratify`` (N labels) each class contributes ~its proportional share; classes
    with a single member stay in train. Same (n, validation_split, seed, stratify) -> same
    result (np.random.default_rng(seed)).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DatasetError(f"need at least 1 row to split, got n={n!r}")
    n = int(n)
    if not (is_number(validation_split) and 0 <= validation_split < 1):
        raise DatasetError(f"validation_split must be in [0, 1), got {validation_split!r}")
    rng = np.random.default_rng(seed)
    n_val = _val_size(n, float(validation_split))
    if stratify is None:
        perm = rng.permutation(n)
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])
    labels = np.asarray(stratify)
    if labels.shape != (n,):
        raise DatasetError(f"stratify labels must have shape ({n},), got {labels.shape}")
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    quotas = _allocate(counts, n_val, float(validation_split))
    val_parts = []
    for k, quota in enumerate(quotas):
        members = np.flatnonzero(inverse.reshape(-1) == k)
        val_parts.append(rng.permutation(members)[:quota])
    val = np.sort(np.concatenate(val_parts)).astype(np.int64)
    train = np.setdiff1d(np.arange(n, dtype=np.int64), val)
    return train, val


def _val_size(n: int, fraction: float) -> int:
    if fraction == 0 or n < 2:
        return 0
    return min(max(1, round(n * fraction)), n - 1)


def _allocate(counts: np.ndarray, total: int, fraction: float) -> list[int]:
    """Largest-remainder split of ``total`` val rows across classes, at most count-1 each
    (so single-member classes get none)."""
    caps = [int(c) - 1 for c in counts]
    total = min(total, sum(caps))
    exact = [int(c) * fraction for c in counts]
    quotas = [min(math.floor(e), cap) for e, cap in zip(exact, caps, strict=True)]
    order = sorted(range(len(counts)), key=lambda k: (quotas[k] - exact[k], k))
    remaining = total - sum(quotas)
    while remaining > 0:
        progressed = False
        for k in order:
            if remaining > 0 and quotas[k] < caps[k]:
                quotas[k] += 1
                remaining -= 1
                progressed = True
        if not progressed:
            break
    return quotas
