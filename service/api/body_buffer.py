"""A request body gathered into one preallocated array as it arrives: each chunk is copied
once and dropped, with no list of chunks and no join at the end (a 31 MB body arrives as
about 500 chunks; keeping them all and joining them costs more than the copy). The bytes
already there can be read, without a copy, while the rest is still arriving.

Big arrays are kept for the next body (at most SPARE_BYTES in all): on this service's
machines the first touch of fresh memory (page faults, zeroed huge pages) cost more than
receiving the bytes into it.
"""

from __future__ import annotations

import threading

import numpy as np

FIRST_BYTES = 64 * 1024
"""The starting size when the client declared no Content-Length (the buffer doubles)."""
SPARE_BYTES = 64 * 1024**2
"""At most this many bytes of released body arrays are kept for later bodies."""
MIN_SPARE_BYTES = 1024**2
"""Arrays smaller than this are not kept (malloc reuses small blocks well)."""

_spares: list[np.ndarray] = []
_lock = threading.Lock()


class BodyBuffer:
    """The bytes of one body so far: `add` on the event loop, `view` for readers. A view
    stays valid (and unchanged) after later adds, so a worker thread may read it; after
    `release` no view may be used."""

    def __init__(self, size: int | None = None) -> None:
        """`size`: the declared Content-Length in bytes, if any (the buffer is that big
        and grows if more arrives)."""
        self._data = _take(size if size is not None else FIRST_BYTES)
        self._bytes = memoryview(self._data)
        self.length = 0

    def add(self, chunk: bytes) -> None:
        """Append a chunk of the body."""
        end = self.length + len(chunk)
        if end > len(self._data):
            grown = _take(max(end, 2 * len(self._data)))
            grown[: self.length] = self._data[: self.length]
            self._data, self._bytes = grown, memoryview(grown)
        self._bytes[self.length : end] = chunk
        self.length = end

    def view(self) -> memoryview:
        """The bytes so far, (length,) unsigned bytes; no copy."""
        return self._bytes[: self.length]

    def release(self) -> None:
        """Keep the array for a later body. Only once every view of it is done with."""
        data, self._data, self._bytes, self.length = self._data, _EMPTY, memoryview(_EMPTY), 0
        if len(data) < MIN_SPARE_BYTES or len(data) > SPARE_BYTES:
            return
        with _lock:
            _spares.append(data)
            while sum(len(a) for a in _spares) > SPARE_BYTES:
                _spares.pop(0)  # the oldest


_EMPTY = np.empty(0, np.uint8)


def _take(size: int) -> np.ndarray:
    """A kept array of at least `size` bytes (the smallest), or a new one of `size`."""
    if size >= MIN_SPARE_BYTES:
        with _lock:
            fits = [i for i, a in enumerate(_spares) if len(a) >= size]
            if fits:
                return _spares.pop(min(fits, key=lambda i: len(_spares[i])))
    return np.empty(size, np.uint8)
