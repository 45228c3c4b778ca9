"""A content fingerprint of a stored dataset: the same arrays give the same SHA-256 wherever
they are kept (an NPZ blob in the database or memory-mapped .npy files)."""

from __future__ import annotations

import hashlib

import numpy as np

CHUNK_BYTES = 16 * 1024 * 1024


def arrays_sha256(X: np.ndarray, y: np.ndarray) -> str:
    """Hex SHA-256 over X then y: for each, a header line "name:dtype:shape" and its bytes
    in C order. Reads memory maps in chunks of about 16 MB, never copying them whole."""
    digest = hashlib.sha256()
    for name, array in (("X", X), ("y", y)):
        digest.update(f"{name}:{array.dtype.str}:{list(array.shape)}\n".encode())
        if array.size == 0:
            continue
        row_bytes = max(1, array.nbytes // max(1, len(array)))
        step = max(1, CHUNK_BYTES // row_bytes)
        for start in range(0, len(array), step):
            digest.update(np.ascontiguousarray(array[start : start + step]).tobytes())
    return digest.hexdigest()
