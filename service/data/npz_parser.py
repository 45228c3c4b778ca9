"""NPZ upload -> ParsedDataset (arrays ``X`` and ``y``; never unpickles)."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from service.data.dataset import ParsedDataset
from service.data.errors import DatasetError
from service.data.values import MIN_ROWS
from service.data.zip_guard import DEFAULT_MAX_BYTES, check_array_header, check_sizes, open_zip

_F32_MAX = float(np.finfo(np.float32).max)


def parse_npz(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDataset:
    """Parse an ``np.savez`` archive holding ``X`` (N, F...) numeric and ``y`` (N,) labels.

    X: bool/int/float -> float32, finite, ndim >= 2. y: 1-D or (N, 1) (squeezed); numeric
    or unicode strings. Returns y_raw as an ndarray (bool becomes int64), feature_names
    ["x0", ...] for 2-D X (else []), target "y". Archives that would expand beyond
    ``max_bytes`` (or with an absurd compression ratio) are refused before loading.
    """
    zf = open_zip(data)
    with zf:
        check_sizes(zf, max_bytes)
        members = [n for n in zf.namelist() if n.endswith(".npy")]
        present = [n[: -len(".npy")] for n in members]
        for name in ("X", "y"):
            if name not in present:
                listing = ", ".join(repr(p) for p in present) or "no arrays"
                raise DatasetError(f"missing array {name!r}; the archive contains: {listing}")
            check_array_header(zf, name + ".npy", name)
    X, y = _load(data)
    X = _check_features(X)
    y = _check_labels(y, X.shape[0])
    names = [f"x{j}" for j in range(X.shape[1])] if X.ndim == 2 else []
    return ParsedDataset(X=X, y_raw=y, feature_names=names, target="y")


def _load(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return npz["X"], npz["y"]
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise DatasetError("object arrays are not allowed in .npz uploads") from None
        raise DatasetError(f"could not read the .npz archive: {exc}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"could not read the .npz archive: {exc}") from None


def _check_features(X: np.ndarray) -> np.ndarray:
    """X -> float32 (N, ...), finite, at least 2 dims, >= MIN_ROWS rows, no empty dims."""
    if X.dtype.kind not in "biuf":
        raise DatasetError(f"X must be numeric (bool, int or float), got dtype {X.dtype}")
    if X.ndim < 2:
        raise DatasetError(f"X must have at least 2 dimensions (N, F...), got shape {X.shape}")
    if X.shape[0] < MIN_ROWS:
        raise DatasetError(f"need at least {MIN_ROWS} samples, got {X.shape[0]}")
    if 0 in X.shape[1:]:
        raise DatasetError(f"X has no features: shape {X.shape}")
    if X.dtype.kind == "f":
        bad = ~np.isfinite(X)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            value = str(X[where]).lower()
            raise DatasetError(f"X[{_fmt(where)}]: {value} is not allowed", row=where[0])
        big = np.abs(X) > _F32_MAX
        if big.any():
            where = tuple(int(i) for i in np.argwhere(big)[0])
            raise DatasetError(
                f"X[{_fmt(where)}]: {float(X[where])!r} is out of range for float32", row=where[0]
            )
    return X.astype(np.float32)


def _check_labels(y: np.ndarray, n: int) -> np.ndarray:
    """y -> 1-D array of length n: int/float (finite) or unicode strings (non-empty)."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DatasetError(f"y must be 1-D (N,) or (N, 1), got shape {y.shape}")
    if len(y) != n:
        raise DatasetError(f"X has {n} rows but y has {len(y)} labels")
    kind = y.dtype.kind
    if kind == "b":
        return y.astype(np.int64)
    if kind in "iu":
        return y
    if kind == "f":
        bad = ~np.isfinite(y)
        if bad.any():
            i = int(np.argmax(bad))
            raise DatasetError(f"y[{i}]: {str(y[i]).lower()} is not allowed", row=i)
        return y
    if kind == "U":
        empty = np.char.str_len(np.char.strip(y)) == 0
        if empty.any():
            i = int(np.argmax(empty))
            raise DatasetError(f"y[{i}]: empty label", row=i)
        return y
    raise DatasetError(
        f"y must be numeric or unicode strings, got dtype {y.dtype}"
        + (" (decode bytes labels to str before saving)" if kind == "S" else "")
    )


def _fmt(index: tuple[int, ...]) -> str:
    return ", ".join(str(i) for i in index)
