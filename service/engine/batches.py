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
from .losses import Loss
from .network import Network

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


def make_sources(
    net: Network,
    loss_fn: Loss,
    X: Any,
    y: Any,
    X_val: Any,
    y_val: Any,
    train_index: Any,
    val_index: Any,
    transform: Transform | None,
) -> tuple[RowSource, RowSource | None]:
    """Validate the data arguments of ``fit`` -> (train rows, validation rows or None).

    Without ``train_index``/``val_index``/``transform`` X is converted to the network dtype
    once (as before); otherwise X stays as given and batches are converted one by one."""
    lazy = train_index is not None or val_index is not None or transform is not None
    if lazy:
        X = X if isinstance(X, np.ndarray) else np.asarray(X)
        if X.shape[1:] != net.input_shape or not np.issubdtype(X.dtype, np.number):
            raise SpecError(
                f"X of shape {X.shape} and dtype {X.dtype} does not match network input "
                f"(N, {', '.join(map(str, net.input_shape))}) of numbers"
            )
    else:  # one conversion (as before): C order makes each batch gather one block copy
        X = np.ascontiguousarray(net.as_input(X))
    Y = loss_fn.prepare_targets(y, net.output_shape, net.dtype)
    n = X.shape[0]
    if n == 0 or Y.shape[0] != n:
        raise SpecError(f"X has {n} samples but y has {Y.shape[0]}; need the same, at least 1")
    tidx = None if train_index is None else check_index(train_index, n, "train_index")
    train = RowSource(X, Y, tidx, transform, net.dtype, net.input_shape)
    if val_index is not None:
        if X_val is not None or y_val is not None:
            raise SpecError("give either val_index or X_val/y_val, not both")
        vidx = check_index(val_index, n, "val_index")
        return train, RowSource(X, Y, vidx, transform, net.dtype, net.input_shape)
    if X_val is None:
        return train, None
    if y_val is None:
        raise SpecError("X_val given without y_val")
    Xv = np.ascontiguousarray(net.as_input(X_val) if transform is None else X_val)
    Yv = loss_fn.prepare_targets(y_val, net.output_shape, net.dtype)
    if Xv.shape[0] != Yv.shape[0] or Xv.shape[0] == 0:
        raise SpecError("X_val and y_val must have the same, non-zero number of samples")
    return train, RowSource(Xv, Yv, None, transform, net.dtype, net.input_shape)


def evaluate(
    net: Network,
    rows: RowSource,
    loss_fn: Loss,
    acc: Any,
    chunk: int,
    should_stop: Callable[[], bool] | None = None,
) -> float | None:
    """Mean loss over ``rows`` (inference mode, ``chunk`` rows at a time); updates ``acc``.
    ``should_stop`` is asked between chunks (a long validation pass stays responsive and
    keeps a job's lease fresh); None when it said stop."""
    total = 0.0
    for i, (xb, yb) in enumerate(rows.batches(chunk)):
        if i and should_stop is not None and should_stop():
            return None
        out = net.infer(xb)
        total += loss_fn.value(out, yb) * xb.shape[0]
        acc.update(out, yb)
    return total / rows.n
