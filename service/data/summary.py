"""A small summary of a feature array, stored with the dataset to check specs against."""

from __future__ import annotations

import numpy as np


def value_range(X: np.ndarray, chunk_rows: int = 65536) -> dict[str, float | bool]:
    """{"min", "max", "integral"} of X (N, ...), read in blocks so a memory map stays cheap."""
    low, high, integral = np.inf, -np.inf, True
    for start in range(0, len(X), chunk_rows):
        block = np.asarray(X[start : start + chunk_rows])
        low, high = min(low, float(block.min())), max(high, float(block.max()))
        integral = integral and bool(np.all(block == np.round(block)))
    return {"min": low, "max": high, "integral": integral}
