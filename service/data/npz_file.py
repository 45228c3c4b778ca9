"""Large NPZ uploads straight to disk: X.npy (float32, memory-mappable) and y, chunk by chunk.

Nothing here holds the whole X in memory: the archive member is streamed to a .npy file
(converted to float32 block by block when needed) and checked for finite values through a
read-only memory map.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np

from service.data.dataset import ParsedDataset
from service.data.errors import DatasetError
from service.data.npz_parser import _check_features, _check_labels
from service.data.summary import value_range
from service.data.values import MIN_ROWS
from service.data.zip_guard import DEFAULT_MAX_BYTES, check_array_header, check_sizes

CHUNK_BYTES = 64 * 1024 * 1024


def import_npz_file(path: Path, dest: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedDataset:
    """Validate the archive at `path` and write dest/X.npy (float32, C order).

    Returns a ParsedDataset whose X is a read-only memory map of dest/X.npy and whose y_raw
    is the (small) label array in memory. Raises DatasetError like parse_npz.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise DatasetError("file is not a valid .npz (zip) archive") from None
    dest.mkdir(parents=True, exist_ok=True)
    with zf:
        check_sizes(zf, max_bytes)
        present = [n[: -len(".npy")] for n in zf.namelist() if n.endswith(".npy")]
        for name in ("X", "y"):
            if name not in present:
                listing = ", ".join(repr(p) for p in present) or "no arrays"
                raise DatasetError(f"missing array {name!r}; the archive contains: {listing}")
            check_array_header(zf, name + ".npy", name)
        _extract_features(zf, dest / "X.npy")
        with zf.open("y.npy") as fp:
            try:
                y = np.lib.format.read_array(fp, allow_pickle=False)
            except ValueError:
                raise DatasetError("object arrays are not allowed in .npz uploads") from None
    X = np.load(dest / "X.npy", mmap_mode="r")
    summary = value_range(X)  # one pass over the file: range, and NaN/inf show up in it
    if not (np.isfinite(summary["min"]) and np.isfinite(summary["max"])):
        _raise_first_non_finite(X)
    y = _check_labels(y, X.shape[0])
    names = [f"x{j}" for j in range(X.shape[1])] if X.ndim == 2 else []
    return ParsedDataset(X=X, y_raw=y, feature_names=names, target="y", value_range=summary)


def _extract_features(zf: zipfile.ZipFile, out: Path) -> None:
    """Stream member X.npy to `out`, as float32 C-order, without loading it whole."""
    with zf.open("X.npy") as fp:
        version = np.lib.format.read_magic(fp)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(fp)
        probe = np.zeros((2, *shape[1:2]) if len(shape) > 1 else (2,), dtype=dtype)
        _check_features(probe)  # dtype and dimension checks on a tiny stand-in
        if len(shape) < 2:
            raise DatasetError(f"X must have at least 2 dimensions (N, F...), got {shape}")
        if shape[0] < MIN_ROWS:
            raise DatasetError(f"need at least {MIN_ROWS} samples, got {shape[0]}")
        if fortran:
            raise DatasetError(
                "X must be saved in C order (np.ascontiguousarray) for large uploads"
            )
        target = np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=tuple(shape))
        if dtype == np.float32:
            del target  # header written; copy the raw bytes after it
            with out.open("r+b") as handle:
                handle.seek(_header_size(out))
                shutil.copyfileobj(fp, handle, CHUNK_BYTES)
            return
        row_bytes = int(np.prod(shape[1:])) * dtype.itemsize
        rows_per_chunk = max(1, CHUNK_BYTES // max(row_bytes, 1))
        for start in range(0, shape[0], rows_per_chunk):
            count = min(rows_per_chunk, shape[0] - start)
            raw = fp.read(count * row_bytes)
            block = np.frombuffer(raw, dtype=dtype).reshape((count, *shape[1:]))
            if dtype.kind == "f" and not np.isfinite(block).all():
                where = np.argwhere(~np.isfinite(block))[0]
                raise DatasetError(
                    f"X[{start + int(where[0])}, ...]: non-finite value is not allowed",
                    row=start + int(where[0]),
                )
            target[start : start + count] = block
        target.flush()
        del target


def _header_size(path: Path) -> int:
    with path.open("rb") as fp:
        version = np.lib.format.read_magic(fp)
        (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )(fp)
        return fp.tell()


def _raise_first_non_finite(X: np.memmap) -> None:
    """Find the first row holding NaN or inf (blockwise) and raise DatasetError for it."""
    rows = max(1, CHUNK_BYTES // max(1, X[0].nbytes))
    for start in range(0, X.shape[0], rows):
        block = X[start : start + rows]
        if not np.isfinite(block).all():
            i = start + int(np.argwhere(~np.isfinite(block))[0][0])
            raise DatasetError(f"X[{i}, ...]: non-finite value is not allowed", row=i)
