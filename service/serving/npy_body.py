"""Predict bodies in NumPy's binary format: one .npy array, or an .npz archive (the format
of the weights download) whose member X holds the rows. Nothing is unpickled, and an array
is only made once its header agrees with the bytes that follow it."""

from __future__ import annotations

import math
import zipfile

import numpy as np

from service.data.errors import DatasetError
from service.data.zip_guard import check_sizes, open_zip

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
MAX_HEADER_BYTES = 10_000
Buffer = bytes | bytearray | memoryview
"""A body: bytes, or a view of the buffer it was read into."""


def read_npy(data: Buffer) -> np.ndarray:
    """The array of an .npy file (numbers only: ints, unsigned ints or floats), a view of
    `data` (no copy), or a DatasetError saying what is wrong with it."""
    if bytes(data[: len(NPY_MAGIC)]) != NPY_MAGIC:
        raise DatasetError("body: not an .npy array (it must start with \\x93NUMPY; np.save)")
    fp = _Reader(data)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(fp, max_header_size=MAX_HEADER_BYTES)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(fp, max_header_size=MAX_HEADER_BYTES)
        else:
            raise DatasetError(f"body: .npy format version {version} is not supported")
    except DatasetError:
        raise
    except Exception as exc:  # numpy raises ValueError, SyntaxError, ... on bad headers
        raise DatasetError(f"body: the .npy header cannot be read ({exc})"[:300]) from None
    shape, fortran_order, dtype = header
    if dtype.kind not in "iuf" or dtype.hasobject or dtype.fields is not None:
        raise DatasetError(f"body: the .npy array must hold numbers, got dtype {dtype.str}")
    count = math.prod(shape)
    offset = fp.tell()
    if len(data) - offset != count * dtype.itemsize:
        raise DatasetError(
            f"body: the .npy header declares shape {tuple(shape)} of {dtype.str} "
            f"({count * dtype.itemsize} bytes) but {len(data) - offset} bytes follow it"
        )
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran_order else "C")


class _Reader:
    """A file of `data` for NumPy's header reader: read(n) copies only the bytes it returns."""

    def __init__(self, data: Buffer) -> None:
        self.data, self.pos = memoryview(data), 0

    def read(self, n: int) -> bytes:
        out = bytes(self.data[self.pos : self.pos + n])
        self.pos += len(out)
        return out

    def tell(self) -> int:
        return self.pos


def read_npz(data: Buffer, max_bytes: int) -> np.ndarray:
    """Member X of an .npz archive (at most `max_bytes` once expanded)."""
    zf = open_zip(data)
    check_sizes(zf, max_bytes)
    names = zf.namelist()
    member = "X.npy" if "X.npy" in names else "X" if "X" in names else None
    if member is None:
        raise DatasetError(
            "body: the .npz archive has no member X (save the rows with np.savez(f, X=rows))"
        )
    try:
        raw = zf.read(member)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise DatasetError(f"body: member X of the .npz archive cannot be read ({exc})") from None
    return read_npy(raw)
