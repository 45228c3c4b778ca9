"""NPZ upload -> ParsedDataset (arrays ``X`` and ``y``; never unpickles)."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from service.data.dataset import NO_LIMITS, Limits, ParsedDataset
from service.data.errors import DatasetError
from service.data.values import F32_MAX, MIN_ROWS, fits_float32
from service.data.zip_guard import (
    DEFAULT_MAX_BYTES,
    ArrayHeader,
    check_array_header,
    check_sizes,
    open_zip,
)


def parse_npz(
    data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits = NO_LIMITS
) -> ParsedDataset:
    """Parse an ``np.savez`` archive holding ``X`` (N, F...) numeric and ``y`` (N,) labels.

    X: bool/int/float -> float32, finite, ndim >= 2. y: 1-D or (N, 1) (squeezed); numeric
    or unicode strings. Returns y_raw as an ndarray (bool becomes int64), feature_names
    ["x0", ...] for 2-D X (else []), target "y". Archives that would expand beyond
    ``max_bytes`` (or with an absurd compression ratio), and X whose header declares a
    shape over ``limits``, are refused before anything is decompressed. Peak memory: the
    archive, X as stored and X as float32 (each at most ``max_bytes``), and y.
    """
    zf = open_zip(data)
    with zf:
        check_sizes(zf, max_bytes)
        header = read_members(zf)
        limits.check_shape(header.shape)
    X, y = _load(data)
    X = check_features(X)
    y = check_labels(y, X.shape[0])
    names = [f"x{j}" for j in range(X.shape[1])] if X.ndim == 2 else []
    return ParsedDataset(X=X, y_raw=y, feature_names=names, target="y")


def read_members(zf: zipfile.ZipFile) -> ArrayHeader:
    """Check that X.npy and y.npy exist and that their headers are sound; X's header."""
    present = [n[: -len(".npy")] for n in zf.namelist() if n.endswith(".npy")]
    for name in ("X", "y"):
        if name not in present:
            listing = ", ".join(repr(p) for p in present) or "no arrays"
            raise DatasetError(f"missing array {name!r}; the archive contains: {listing}")
    header = check_array_header(zf, "X.npy", "X")
    check_array_header(zf, "y.npy", "y")
    check_feature_header(header.shape, header.dtype)
    return header


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


def check_feature_header(shape: tuple[int, ...], dtype: np.dtype) -> None:
    """What can be said about X from its dtype and shape alone (no data read)."""
    if dtype.kind not in "biuf":
        raise DatasetError(f"X must be numeric (bool, int or float), got dtype {dtype}")
    if len(shape) < 2:
        raise DatasetError(f"X must have at least 2 dimensions (N, F...), got shape {shape}")
    if shape[0] < MIN_ROWS:
        raise DatasetError(f"need at least {MIN_ROWS} samples, got {shape[0]}")
    if 0 in shape[1:]:
        raise DatasetError(f"X has no features: shape {shape}")


def check_features(X: np.ndarray) -> np.ndarray:
    """X -> float32 (N, ...), finite, at least 2 dims, >= MIN_ROWS rows, no empty dims."""
    check_feature_header(X.shape, X.dtype)
    if X.dtype.kind == "f":
        if not fits_float32(X):
            raise_first_bad_value(X)
    return X.astype(np.float32)


def raise_first_bad_value(X: np.ndarray, start: int = 0) -> None:
    """DatasetError for the first NaN, inf or beyond-float32 value of X (row-major)."""
    bad = ~np.isfinite(X)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        value = str(X[where]).lower()
        raise DatasetError(f"X[{_fmt(where, start)}]: {value} is not allowed", row=start + where[0])
    big = np.abs(X) > F32_MAX
    if big.any():
        where = tuple(int(i) for i in np.argwhere(big)[0])
        raise DatasetError(
            f"X[{_fmt(where, start)}]: {float(X[where])!r} is out of range for float32",
            row=start + where[0],
        )


def check_labels(y: np.ndarray, n: int) -> np.ndarray:
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
        _check_code_points(y)
        empty = np.char.str_len(np.char.strip(y)) == 0
        if empty.any():
            i = int(np.argmax(empty))
            raise DatasetError(f"y[{i}]: empty label", row=i)
        return y
    raise DatasetError(
        f"y must be numeric or unicode strings, got dtype {y.dtype}"
        + (" (decode bytes labels to str before saving)" if kind == "S" else "")
    )


def _check_code_points(y: np.ndarray) -> None:
    """Refuse labels holding surrogates or code points beyond U+10FFFF (not UTF-8 text)."""
    if y.dtype.itemsize == 0 or len(y) == 0:
        return
    codes = np.ascontiguousarray(y).view(np.uint32).reshape(len(y), -1)
    bad = ((codes >= 0xD800) & (codes <= 0xDFFF)) | (codes > 0x10FFFF)
    rows = bad.any(axis=1)
    if rows.any():
        i = int(np.argmax(rows))
        code = int(codes[i][bad[i]][0])
        raise DatasetError(
            f"y[{i}]: the label is not valid Unicode text (it holds the code point "
            f"\\u{code:04x}, which cannot be encoded as UTF-8)",
            row=i,
        )


def _fmt(index: tuple[int, ...], start: int = 0) -> str:
    return ", ".join(str(i + (start if k == 0 else 0)) for k, i in enumerate(index))
