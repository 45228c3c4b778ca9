"""Pre-load inspection of NPZ (zip) archives: decompression-bomb and array-header checks."""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from typing import IO

import numpy as np

from service.data.errors import DatasetError, DatasetTooLarge

DEFAULT_MAX_BYTES = 2 * 1024**3
MAX_RATIO = 1000
RATIO_FLOOR_BYTES = 100 * 1024**2


def open_zip(data: bytes) -> zipfile.ZipFile:
    """Open ``data`` as a zip archive or raise DatasetError."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        hint = ""
        if bytes(data[:6]) == b"\x93NUMPY":
            hint = " (this is a single .npy array; save X and y together with np.savez)"
        raise DatasetError(f"file is not a valid .npz (zip) archive{hint}") from None


def check_sizes(zf: zipfile.ZipFile, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Refuse archives whose declared uncompressed size exceeds ``max_bytes`` or whose
    compression ratio exceeds MAX_RATIO while expanding to more than RATIO_FLOOR_BYTES.

    zipfile never yields more than a member's declared size, so checking the declared
    sizes bounds what loading can produce.
    """
    infos = zf.infolist()
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if total > max_bytes:
        raise DatasetTooLarge(
            f"archive expands to {total} bytes, more than the limit of {max_bytes} bytes"
        )
    if total > RATIO_FLOOR_BYTES and total > MAX_RATIO * max(packed, 1):
        raise DatasetError(
            f"archive compression ratio is suspicious ({total} bytes from {packed} compressed "
            "bytes); refusing to decompress it"
        )


@dataclass(frozen=True)
class ArrayHeader:
    """What an .npy member's header declares."""

    shape: tuple[int, ...]
    fortran_order: bool
    dtype: np.dtype


def read_header(fp: IO[bytes], name: str) -> ArrayHeader:
    """Parse the .npy header at the start of `fp`; DatasetError for anything malformed."""
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
    except Exception as exc:  # noqa: BLE001 - untrusted bytes: any parse failure is bad input
        # e.g. ValueError, SyntaxError, tokenize.TokenError (a header cut off mid-way),
        # RuntimeError (encrypted member), NotImplementedError (unknown compression)
        raise DatasetError(f"array {name!r} is not a valid .npy array ({exc})") from None
    return ArrayHeader(tuple(int(d) for d in shape), bool(fortran), dtype)


def check_array_header(zf: zipfile.ZipFile, member: str, name: str) -> ArrayHeader:
    """Read one .npy member's header: reject object dtypes and shapes whose data would
    exceed what the member holds (which would make loading over-allocate or read short)."""
    info = zf.getinfo(member)
    try:
        with zf.open(info) as fp:
            header = read_header(fp, name)
            offset = fp.tell()
    except DatasetError:
        raise
    except Exception as exc:  # noqa: BLE001 - opening a member of an untrusted archive
        raise DatasetError(f"array {name!r} is not a valid .npy array ({exc})") from None
    if header.dtype.hasobject:
        raise DatasetError(
            f"array {name!r} has dtype object; object arrays are not allowed "
            "(save numbers or fixed-width strings)"
        )
    nbytes = math.prod(header.shape) * header.dtype.itemsize
    if nbytes > info.file_size - offset:
        raise DatasetError(
            f"array {name!r} declares shape {header.shape} ({nbytes} bytes) but its archive "
            f"member holds only {max(info.file_size - offset, 0)} bytes of data"
        )
    return header
