"""A predict body answered while it arrives: the rows of an .npy body run through the
network a block at a time as their bytes come in, so the forward pass overlaps the upload.

The web side reads the body into one buffer; after each chunk it asks `wants(data)` (cheap,
on the event loop) and, if so, runs `step(data)` in a worker thread, one step at a time.
A step only uses bytes already there, so no thread ever waits for the network. Once the
whole body is there, `finish(data)` answers it exactly as predict_http.answer would,
raising the first problem answer() would find (a problem a step found early is kept
until then). Other kinds of body (JSON, .npz) are answered whole by finish.
"""

from __future__ import annotations

import math

import numpy as np

from service.data.errors import DatasetError
from service.serving.model import LoadedModel
from service.serving.npy_body import (
    MAX_HEADER_BYTES,
    NPY_MAGIC,
    Buffer,
    NpyHeader,
    header_end,
    npy_header,
    read_npy,
)
from service.serving.predict import BLOCK_ROWS, Forward, check_answer_size
from service.serving.predict_http import BINARY, NPY, answer, binary_answer, check_array_shape


class StreamedAnswer:
    """The answer to one predict body of a given kind (see the module)."""

    def __init__(self, model: LoadedModel, kind: str, max_values: int, max_bytes: int) -> None:
        self.model, self.kind = model, kind
        self.max_values, self.max_bytes = max_values, max_bytes
        self.header: NpyHeader | None = None
        self.forward: Forward | None = None
        self.problem: DatasetError | None = None

    def _streams(self, data: Buffer) -> bool:
        """Whether the body is an .npy array whose rows can run before it is all there."""
        if self.problem is not None or self.kind not in (NPY, BINARY):
            return False
        return len(data) >= len(NPY_MAGIC) and bytes(data[: len(NPY_MAGIC)]) == NPY_MAGIC

    def wants(self, data: Buffer) -> bool:
        """Whether step(data) has work: an .npy header to read, or a new block of rows."""
        if not self._streams(data):
            return False
        if self.header is None:
            end = header_end(data)
            return end is not None and (len(data) >= end or end > 12 + MAX_HEADER_BYTES)
        return self.forward is not None and self._rows_there(data) - self.forward.done >= BLOCK_ROWS

    def _rows_there(self, data: Buffer) -> int:
        """How many whole rows of the .npy array the bytes so far hold."""
        assert self.forward is not None and self.header is not None
        row_bytes = self.header.dtype.itemsize * math.prod(self.model.input_shape)
        return min(self.forward.rows, (len(data) - self.header.offset) // row_bytes)

    def step(self, data: Buffer) -> None:
        """Read the header once it is there, then run the whole blocks of rows the bytes
        so far hold (in a worker thread). A problem found is kept for finish()."""
        try:
            if self.header is None:
                self.header = header = npy_header(data)
                check_array_shape(self.model, header.shape)
                check_answer_size(self.model, header.shape[0], self.max_values)
                if header.fortran_order:  # the rows are not in order: finish runs them
                    return
                self.forward = Forward(self.model, header.shape[0], checked=False)
            if self.forward is None:
                return
            n = self._rows_there(data)
            if n <= self.forward.done:
                return
            count = n * math.prod(self.model.input_shape)
            flat = np.frombuffer(data, self.header.dtype, count=count, offset=self.header.offset)
            self.forward.run(flat.reshape((n, *self.model.input_shape)))
        except DatasetError as exc:
            self.problem = exc

    def finish(self, data: Buffer) -> bytes:
        """The answer once the whole body is there (in a worker thread, or inline for a
        small one)."""
        if self.header is None and self.problem is None:
            return answer(self.model, data, self.kind, self.max_values, self.max_bytes)
        X = read_npy(data)  # the header and the length first, as answer() checks them
        if self.problem is not None:
            raise self.problem
        return binary_answer(self.model, X, self.max_values, self.forward)
