"""BodyBuffer: chunks land in one array (declared or growing), a view stays what it was,
and released arrays serve later bodies within a bounded total."""

from __future__ import annotations

import numpy as np
import pytest

from service.api import body_buffer
from service.api.body_buffer import BodyBuffer


@pytest.fixture(autouse=True)
def no_spares(monkeypatch):
    monkeypatch.setattr(body_buffer, "_spares", [])


def test_chunks_land_in_one_array_declared_or_growing():
    data = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
    for size in (len(data), None, 10):
        buffer = BodyBuffer(size)
        for at in range(0, len(data), 65_536):
            buffer.add(data[at : at + 65_536])
        assert bytes(buffer.view()) == data and len(buffer.view()) == len(data)
    empty = BodyBuffer(0)
    empty.add(b"")
    assert bytes(empty.view()) == b""


def test_a_view_keeps_what_it_saw_while_the_buffer_grows():
    buffer = BodyBuffer(4)
    buffer.add(b"abcd")
    first = buffer.view()
    buffer.add(b"efgh" * 1000)
    assert bytes(first) == b"abcd"
    assert bytes(buffer.view()[:8]) == b"abcdefgh"


def test_released_arrays_serve_later_bodies_within_a_bounded_total(monkeypatch):
    monkeypatch.setattr(body_buffer, "SPARE_BYTES", 5 * 1024**2)
    mib = 1024**2
    a = BodyBuffer(2 * mib)
    array = a._data
    a.release()
    assert bytes(a.view()) == b""
    b = BodyBuffer(mib + 1)  # the kept 2 MiB array is big enough
    assert b._data is array
    b.release()
    for size in (2 * mib, 2 * mib, 2 * mib):
        BodyBuffer(size).release()
    assert sum(len(x) for x in body_buffer._spares) <= 5 * mib
    small = BodyBuffer(1000)
    small.release()
    assert all(len(x) >= body_buffer.MIN_SPARE_BYTES for x in body_buffer._spares)
