"""Limit the BLAS thread pool while a job trains (threadpoolctl; process-wide setting)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from threadpoolctl import threadpool_limits


@contextmanager
def blas_threads(count: int) -> Iterator[None]:
    """Run the block with at most `count` BLAS threads (0 or less: leave the default)."""
    with threadpool_limits(limits=count, user_api="blas") if count > 0 else nullcontext():
        yield
