"""Arrays <-> NPZ bytes, the stored form of datasets and weights (never pickled)."""

from __future__ import annotations

import io

import numpy as np


def arrays_to_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """Serialise named arrays to uncompressed NPZ bytes."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def npz_to_arrays(data: bytes) -> dict[str, np.ndarray]:
    """Load NPZ bytes written by arrays_to_npz (allow_pickle=False)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}
