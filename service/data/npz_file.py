"""Large NPZ uploads straight to disk: X.npy (float32, memory-mappable) and y, chunk by chunk.

Nothing here holds the whole X in memory: the archive member is streamed to a .npy file
(converted to float32 block by block when needed) and checked for finite values through a
read-only memory map.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from service.data.dataset import NO_LIMITS, Limits, ParsedDataset
from service.data.errors import DatasetError
from service.data.npz_parser import check_labels, raise_first_bad_value, read_members
from service.data.summary import value_range
from service.data.values import fits_float32
from service.data.zip_guard import DEFAULT_MAX_BYTES, ArrayHeader, check_sizes, read_header

CHUNK_BYTES = 64 * 1024 * 1024


def import_npz_file(
    path: Path, dest: Path, max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits = NO_LIMITS
) -> ParsedDataset:
    """Validate the archive at `path` and write dest/X.npy (float32, C order).

    Returns a ParsedDataset whose X is a read-only memory map of dest/X.npy and whose y_raw
    is the (small) label array in memory. Raises DatasetError like parse_npz; X's shape is
    checked against ``limits`` and y is checked before X is decompressed.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise DatasetError("file is not a valid .npz (zip) archive") from None
    with zf:
        check_sizes(zf, max_bytes)
        header = read_members(zf)
        limits.check_shape(header.shape)
        if header.fortran_order:
            raise DatasetError(
                "X must be saved in C order (np.ascontiguousarray) for large uploads"
            )
        y = check_labels(_read_labels(zf), header.shape[0])
        dest.mkdir(parents=True, exist_ok=True)
        _extract_features(zf, header, dest / "X.npy")
    X = np.load(dest / "X.npy", mmap_mode="r")
    summary = value_range(X)  # one pass over the file: range, and NaN/inf show up in it
    if not (np.isfinite(summary["min"]) and np.isfinite(summary["max"])):
        _raise_first_non_finite(X)
    names = [f"x{j}" for j in range(X.shape[1])] if X.ndim == 2 else []
    return ParsedDataset(X=X, y_raw=y, feature_names=names, target="y", value_range=summary)


def _read_labels(zf: zipfile.ZipFile) -> np.ndarray:
    with zf.open("y.npy") as fp:
        try:
            return np.lib.format.read_array(fp, allow_pickle=False)
        except ValueError as exc:
            if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                raise DatasetError("object arrays are not allowed in .npz uploads") from None
            raise DatasetError(f"array 'y' is not a valid .npy array ({exc})") from None


def _extract_features(zf: zipfile.ZipFile, header: ArrayHeader, out: Path) -> None:
    """Stream member X.npy to `out`, as float32 C-order, without loading it whole."""
    shape, dtype = header.shape, header.dtype
    with zf.open("X.npy") as fp:
        read_header(fp, "X")
        target = np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=shape)
        row_bytes = int(np.prod(shape[1:])) * dtype.itemsize
        rows_per_chunk = max(1, CHUNK_BYTES // max(row_bytes, 1))
        for start in range(0, shape[0], rows_per_chunk):
            count = min(rows_per_chunk, shape[0] - start)
            raw = fp.read(count * row_bytes)
            if len(raw) != count * row_bytes:
                raise DatasetError(f"array 'X' ends early: its data stops in row {start}")
            block = np.frombuffer(raw, dtype=dtype).reshape((count, *shape[1:]))
            if dtype != np.float32 and dtype.kind == "f":
                if not fits_float32(block):
                    raise_first_bad_value(block, start)
            target[start : start + count] = block
        target.flush()
        del target


def _raise_first_non_finite(X: np.memmap) -> None:
    """Find the first row holding NaN or inf (blockwise) and raise DatasetError for it."""
    rows = max(1, CHUNK_BYTES // max(1, X[0].nbytes))
    for start in range(0, X.shape[0], rows):
        block = X[start : start + rows]
        if not np.isfinite(block).all():
            i = start + int(np.argwhere(~np.isfinite(block))[0][0])
            raise DatasetError(f"X[{i}, ...]: non-finite value is not allowed", row=i)
