"""Mini-batches for :func:`~service.engine.training.fit`, gathered without copying the dataset.

A :class:`RowSource` is the training (or validation) part of a dataset: all rows of
``X``: (N, *input_shape) and ``Y`` (prepared targets, (N, ...)), or only the rows named by an
index. Each batch is gathered with ``np.take(..., out=buffer)`` into arrays allocated once, so
only that batch's rows are read (``X`` may be a read-only ``np.memmap``), then optionally
passed through a ``transform`` (e.g. standardisation) and converted to the network dtype.
Nothing proportional to N is allocated except the epoch's row order (N integers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .errors import SpecError

Transform = Callable[[np.ndarray], np.ndarray]


def check_index(index: Any, n: int, name: str) -> np.ndarray:
    """A non-empty 1-D integer index into ``n`` rows -> intp array (raises ``SpecError``)."""
    idx = np.asarray(index)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise SpecError(f"{name} must be a non-empty 1-D array of integer row numbers")
    if idx.min() < 0 or idx.max() >= n:
        raise SpecError(f"{name} holds row numbers outside [0, {n - 1}] (X has {n} rows)")
    return idx.astype(np.intp, copy=False)


class RowSource:
    """Rows of ``X``/``Y`` selected by ``index`` (all rows when None), in batches.

    ``X``: (N, *input_shape) of any numeric dtype (converted per batch to ``dtype``);
    ``Y``: (N, ...) prepared targets; ``transform`` maps a gathered (k, *input_shape) batch
    to the network input (it may work in place on its argument, a reused buffer)."""

    def __init__(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        index: np.ndarray | None,
        transform: Transform | None,
        dtype: np.dtype,
        input_shape: tuple[int, ...],
    ) -> None:
        self.X, self.Y, self.index = X, Y, index
        self.transform = transform
        self.dtype = np.dtype(dtype)
        self.input_shape = tuple(input_shape)
        self.n = int(index.shape[0]) if index is not None else int(X.shape[0])
        #: rows are used as stored: slices when in order, no conversion
        self.direct = transform is None and X.dtype == self.dtype
        self._bufs: dict[str, np.ndarray] = {}

    def _buf(self, name: str, like: np.ndarray, rows: int) -> np.ndarray:
        buf = self._bufs.get(name)
        if buf is None or buf.shape[0] < rows:
            buf = self._bufs[name] = np.empty((rows, *like.shape[1:]), dtype=like.dtype)
        return buf

    def order(self, rng: np.random.Generator | None) -> np.ndarray | None:
        """Row numbers of X for one epoch in batch order: a permutation of the selected
        rows drawn from ``rng`` (None: in order; returns None for "all rows in order")."""
        if rng is None:
            return self.index
        perm = rng.permutation(self.n)
        return perm if self.index is None else self.index[perm]

    def batch(
        self, order: np.ndarray | None, start: int, stop: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``start:stop`` of ``order`` -> (x: (k, *input_shape) in ``dtype``, y: (k, ...)).

        The arrays are views of reused buffers (or of X/Y): valid until the next call."""
        stop = min(stop, self.n)
        k = stop - start
        if order is None:
            xb, yb = self.X[start:stop], self.Y[start:stop]
        else:
            rows = order[start:stop]
            xb = np.take(self.X, rows, axis=0, out=self._buf("x", self.X, k)[:k], mode="clip")
            yb = np.take(self.Y, rows, axis=0, out=self._buf("y", self.Y, k)[:k], mode="clip")
        if self.direct:
            return xb, yb
        if self.transform is not None:
            xb = np.asarray(self.transform(xb), dtype=self.dtype)
            if xb.shape != (k, *self.input_shape):
                raise SpecError(
                    f"batch_transform returned shape {xb.shape}; expected {(k, *self.input_shape)}"
                )
        else:
            cast = self._buf("cast", np.empty((0, *self.input_shape), self.dtype), k)[:k]
            np.copyto(cast, xb, casting="unsafe")
            xb = cast
        return xb, yb

    def batches(
        self, size: int, rng: np.random.Generator | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All rows in batches of ``size`` (shuffled with ``rng`` if given)."""
        order = self.order(rng)
        for start in range(0, self.n, size):
            yield self.batch(order, start, start + size)
