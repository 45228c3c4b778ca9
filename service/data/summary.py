"""A small summary of a feature array, stored with the dataset to check specs against."""

from __future__ import annotations

import numpy as np

CHUNK_BYTES = 16 * 1024 * 1024


def value_range(X: np.ndarray, chunk_bytes: int | None = None) -> dict[str, float | bool]:
    """{"min", "max", "integral"} of X (N, ...), read in blocks of about ``chunk_bytes`` so a
    memory map stays cheap and temporaries stay small. NaN/inf show up in min or max; an
    X without values gives {"min": 0.0, "max": 0.0, "integral": True}."""
    if X.size == 0:
        return {"min": 0.0, "max": 0.0, "integral": True}
    rows = max(1, (chunk_bytes or CHUNK_BYTES) // max(1, X[0].nbytes))
    low, high, integral = np.inf, -np.inf, True
    for start in range(0, len(X), rows):
        block = np.asarray(X[start : start + rows])
        low = float(np.minimum(low, block.min()))  # np.minimum keeps a NaN, min() drops it
        high = float(np.maximum(high, block.max()))
        integral = integral and bool(np.all(block == np.round(block)))
    return {"min": low, "max": high, "integral": integral}
