"""Binary predict bodies: any bytes (truncated, garbage, hostile headers) are a DatasetError
with a message, never another exception; good arrays come back as they were saved."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.data import DatasetError
from service.serving.npy_body import read_npy, read_npz


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


GOOD = npy(np.arange(12, dtype=np.float32).reshape(4, 3))
HEADER_END = GOOD.index(b"\n") + 1


def header(text: str) -> bytes:
    """An .npy 1.0 file whose header dict is `text`, and no data."""
    raw = text.encode("latin1")
    pad = 64 - (10 + len(raw) + 1) % 64
    return (
        b"\x93NUMPY\x01\x00" + (len(raw) + pad + 1).to_bytes(2, "little") + raw + b" " * pad + b"\n"
    )


CORPUS = [
    b"",
    b"\x93NUM",
    b"\x93NUMPY",
    b"\x93NUMPY\x09\x00",
    b"\x93NUMPY\x01\x00\xff\xff",
    GOOD[:HEADER_END],
    GOOD[:-1],
    GOOD + b"\x00",
    header("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"),
    header("{'descr': '<f4', 'fortran_order': False, 'shape': (10**12, 10**12), }"),
    header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }"),
    header("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }"),
    header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"),
    header("{'descr': '<f4', 'fortran_order': 'yes', 'shape': (1,), }"),
    header("__import__('os').system('true')"),
    header("{'descr': '<f4'}"),
    b"PK\x03\x04 not really a zip",
]


@pytest.mark.parametrize("data", CORPUS)
def test_bad_npy_bytes_are_a_dataset_error(data):
    for body in (data, memoryview(data)):  # bytes, or a view of the buffer it was read into
        with pytest.raises(DatasetError):
            read_npy(body)
        with pytest.raises(DatasetError):
            read_npz(body, 10**6)


def test_good_arrays_come_back_as_saved():
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert np.array_equal(read_npy(GOOD), X)
    assert np.array_equal(read_npy(memoryview(b"?" + GOOD)[1:]), X)  # a view, not a copy
    assert np.array_equal(read_npy(npy(np.asfortranarray(X.astype(">f8")))), X)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(0, len(GOOD)))
def test_fuzzed_npy_bodies_never_raise_anything_else(noise, cut):
    for data in (noise, b"\x93NUMPY" + noise, GOOD[:cut] + noise, GOOD[:HEADER_END] + noise):
        for body in (data, memoryview(data)):
            try:
                read_npy(body)
            except DatasetError as exc:
                assert exc.message.startswith("body: ")
