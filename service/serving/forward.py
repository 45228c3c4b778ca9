"""The network's forward pass for predict, a block of rows at a time: each block is
standardized into a reused buffer (the standardizer's arithmetic, bit for bit) and run
through the network, so a big batch never has a standardized copy of its own. The rows of
a big batch are shared among `threads` threads, each running its blocks with one-thread
BLAS calls: unlike BLAS's own threads, which wait for each other (spinning) at every matrix
product, they only meet at the end, so a busy machine slows them down instead of stalling
them (10,000 rows of a 784-256-128-10 MLP on 2 shared cores: about 60 ms instead of 150-300).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

from service.data.errors import DatasetError
from service.data.values import fits_float32
from service.serving.model import LoadedModel
from service.serving.shared_switch import SharedSwitch

BLOCK_ROWS = 1024
"""Rows standardized and run through the network at a time."""
PROCESSES_ENV = "BACKPROP_API_PROCESSES"
"""Set by `backprop api --workers N` for its N processes, so each takes its share of the
cores (core_share); unset: this process is the only one."""


def core_share() -> int:
    """The cores this process may keep busy: cpu_count // the API processes (at least 1)."""
    value = os.environ.get(PROCESSES_ENV, "")
    processes = int(value) if value.isdigit() and int(value) > 0 else 1
    return max(1, (os.cpu_count() or 1) // processes)


THREADS = max(1, min(4, core_share()))
"""Threads sharing the rows of a big batch (at most this process's core share)."""
MIN_PART_ROWS = 256
"""A batch is shared among threads only in parts of at least this many rows."""

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def forward(
    model: LoadedModel, X: np.ndarray, checked: bool = True, threads: int = 1
) -> np.ndarray:
    """The network's outputs (M, *output_shape) for rows X (M, *input_shape), shared among
    up to `threads` threads for a big batch.

    With `checked=False` the rows may be of any numeric dtype and unchecked: each block is
    converted to float32 and a value that is not a finite float32 number is a DatasetError
    naming its row and column (the first such row when several threads find one)."""
    parts = max(1, min(threads, THREADS, len(X) // MIN_PART_ROWS))
    if parts == 1 and 0 < len(X) <= BLOCK_ROWS:  # one block, here: no output to copy into
        z = np.empty((len(X), *model.input_shape), np.float32)
        return _block_outputs(model, X, z, 0, checked)
    net = model.network
    out = np.empty((len(X), *net.output_shape), net.dtype)
    bounds = [len(X) * i // parts for i in range(parts + 1)]
    shares = [(X, out, a, b, model, checked) for a, b in zip(bounds, bounds[1:], strict=False)]
    if parts == 1:
        _run_rows(*shares[0])
        return out
    with _one_blas_thread:  # each share on its own thread, with one-thread BLAS calls
        futures = [_threads().submit(_run_rows, *share) for share in shares[1:]]
        here = _call(_run_rows, *shares[0])
        _first_error([here, *futures])
    return out


def _run_rows(
    X: np.ndarray, out: np.ndarray, first: int, end: int, model: LoadedModel, checked: bool
) -> None:
    """out[first:end] = the network's outputs for X[first:end], a block at a time, each
    standardized into one buffer."""
    z_buf = np.empty((min(end - first, BLOCK_ROWS), *model.input_shape), np.float32)
    for start in range(first, end, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, end)
        z = z_buf[: stop - start]
        out[start:stop] = _block_outputs(model, X[start:stop], z, start, checked)


def _block_outputs(
    model: LoadedModel, X: np.ndarray, z: np.ndarray, first: int, checked: bool
) -> np.ndarray:
    """The network's outputs (M, *output_shape) for rows X (rows `first` onwards of the
    batch), standardized into z, float32 (M, *input_shape) (the standardizer's arithmetic,
    bit for bit); see forward for `checked`."""
    with np.errstate(all="ignore"):  # overflows are reported per row
        np.subtract(X, model.standardizer.mean, out=z, dtype=np.float32)
        np.divide(z, model.standardizer.std, out=z)
        if not checked and not fits_float32(z):
            check_rows(X, first)
        try:
            return model.network.predict(z)
        except ValueError as exc:  # inputs the network cannot take, e.g. token ids
            raise DatasetError(f"instances: {exc}") from None


def check_rows(X: np.ndarray, first: int) -> None:
    """DatasetError naming the first value of rows X (row `first` onwards) that is not a
    finite float32 number; nothing if every value is one."""
    flat = X.reshape(len(X), -1)
    with np.errstate(over="ignore", invalid="ignore"):
        bad = np.argwhere(~np.isfinite(flat.astype(np.float32)))
    if len(bad):
        row, col = int(bad[0][0]), int(bad[0][1])
        raise DatasetError(
            f"instances[{first + row}][{col}]: {str(flat[row, col]).lower()} "
            "is not a finite float32 number",
            row=first + row,
        )


def limit_blas_to_core_share() -> None:
    """Limit BLAS to core_share() threads in this process from now on: one of N API
    processes on a machine must not start as many BLAS threads as there are cores."""
    _blas().limit(limits=core_share(), user_api="blas")


def _blas_on_one_thread() -> Callable[[], None]:
    """Limit BLAS to one thread; the undo puts the previous limit back."""
    return _blas().limit(limits=1, user_api="blas").restore_original_limits


def _blas() -> ThreadpoolController:
    """The process's threadpoolctl controller (made on first use: it inspects the loaded
    libraries)."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


_controller: ThreadpoolController | None = None
_one_blas_thread = SharedSwitch(_blas_on_one_thread)


def _threads() -> ThreadPoolExecutor:
    """The threads that run the other shares of a forward pass (made on first use)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, THREADS - 1), thread_name_prefix="backprop-forward")
        return _pool


def _call(fn, *args) -> Future:
    """fn(*args) run here, as a finished Future."""
    future: Future = Future()
    try:
        future.set_result(fn(*args))
    except BaseException as exc:  # raised below in block order, like the other threads'
        future.set_exception(exc)
    return future


def _first_error(futures: list[Future]) -> None:
    """Wait for every part; raise the error of the earliest part that had one."""
    errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
