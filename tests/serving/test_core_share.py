"""One of N API processes (`backprop api --workers N`) takes cores // N for BLAS and for the
threads of a big batch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from service.serving import forward as forward_module


@pytest.mark.parametrize(
    ("cores", "processes", "share"),
    [(2, None, 2), (2, "1", 2), (2, "2", 1), (8, "3", 2), (2, "4", 1), (4, "zero", 4)],
)
def test_core_share(monkeypatch, cores, processes, share):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.delenv(forward_module.PROCESSES_ENV, raising=False)
    if processes is not None:
        monkeypatch.setenv(forward_module.PROCESSES_ENV, processes)
    assert forward_module.core_share() == share


def test_blas_is_limited_to_the_share(monkeypatch):
    monkeypatch.setenv(forward_module.PROCESSES_ENV, str(os.cpu_count() or 1))
    with threadpool_limits(limits=None, user_api="blas"):  # put back afterwards
        forward_module.limit_blas_to_core_share()
        blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
        assert blas and all(lib["num_threads"] == 1 for lib in blas)


def test_a_process_started_with_the_setting_shares_big_batches_among_its_share():
    code = "from service.serving.forward import THREADS, core_share; print(THREADS, core_share())"
    env = {**os.environ, forward_module.PROCESSES_ENV: str(os.cpu_count() or 1)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["1", "1"], out.stderr
