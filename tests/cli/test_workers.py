"""The --workers supervisor (service/cli/workers.py): a listening socket per process, the
kernel spreading connections among them, a dead process replaced, a process that cannot
start stopping them all, SIGTERM stopping every process."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from processes import children, listening
from support import free_port

from service.cli.workers import balances_reuse_port, reuse_port_socket

pytestmark = pytest.mark.skipif(not balances_reuse_port(), reason="Linux's SO_REUSEPORT")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def supervisor(tmp_path: Path, factory: str, port: int, processes: int = 2) -> subprocess.Popen:
    """A Supervisor of `processes` processes serving tests/cli/worker_apps.`factory`."""
    code = (
        "from service.cli.workers import Supervisor\n"
        f"raise SystemExit(Supervisor('worker_apps:{factory}', '127.0.0.1', {port}, 1.0, "
        f"{processes}).run())"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
    log = (tmp_path / "supervisor.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def pids_of(port: int, connections: int) -> list[int]:
    """The process ids answering `connections` connections opened at once (all open before
    the first request), one request each."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(connections)]
    try:
        for s in socks:
            s.sendall(b"GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        return [int(_until_closed(s).rsplit(b"\r\n\r\n", 1)[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _until_closed(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(4096):
        data += chunk
    return data


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen, tmp_path: Path):
    """Poll `predicate` until it is truthy (its value returned), with a deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    log = (tmp_path / "supervisor.log").read_text(errors="replace")
    raise AssertionError(f"not {what} after {timeout}s (exit {proc.poll()}):\n{log}")


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


@contextlib.contextmanager
def two_listening(tmp_path: Path, port: int) -> Iterator[subprocess.Popen]:
    """A supervisor of two pid_app processes, once both listen; it must stop cleanly."""
    proc = supervisor(tmp_path, "pid_app", port)
    try:
        wait_for(lambda: listening(port) == 2, 60, "two listeners", proc, tmp_path)
        yield proc
    finally:
        assert stop(proc) == 0


def test_each_process_listens_and_the_kernel_spreads_connections(tmp_path):
    port = free_port()
    with two_listening(tmp_path, port):
        # 32 connections opened at once: all on one process has odds of 2 in 2**32; with
        # uvicorn's shared socket one process took all of 16 in one trial of ten
        pids = pids_of(port, 32)
        assert len(set(pids)) == 2, pids
        assert listening(port) == 2  # the supervisor's own socket holds the port unheard
    assert listening(port) == 0


def test_a_process_that_dies_is_replaced(tmp_path):
    port = free_port()
    with two_listening(tmp_path, port) as proc:
        first = set(pids_of(port, 32))
        victim = min(first)
        os.kill(victim, signal.SIGKILL)

        def replaced() -> bool:
            try:  # connections waiting in the victim's own queue are reset with it
                seen = set(pids_of(port, 32)) if listening(port) == 2 else set()
            except ConnectionError:
                return False
            return len(seen) == 2 and victim not in seen

        wait_for(replaced, 60, "replaced", proc, tmp_path)


def test_killing_the_supervisor_stops_its_processes(tmp_path):
    port = free_port()
    proc = supervisor(tmp_path, "pid_app", port)
    try:
        wait_for(lambda: listening(port) == 2, 60, "two listeners", proc, tmp_path)
        servers = children(proc.pid)
    finally:
        proc.kill()  # no chance to stop them itself
        proc.wait()
    deadline = time.monotonic() + 60
    while listening(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = listening(port)
    for pid in servers:  # whatever is left, so a failure leaves no server behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == 0  # each got SIGTERM when its parent died


def test_a_process_that_cannot_start_stops_them_all(tmp_path):
    port = free_port()
    proc = supervisor(tmp_path, "broken_app", port)
    assert proc.wait(timeout=120) == 1
    log = (tmp_path / "supervisor.log").read_text(errors="replace")
    assert "this app cannot be built" in log and "failed to start" in log
    assert listening(port) == 0


def test_a_port_in_use_is_refused_at_once():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            reuse_port_socket("127.0.0.1", taken.getsockname()[1]).close()


def test_api_workers_on_a_taken_port_is_a_clear_error(capsys):
    from service.cli.serving import serve_workers
    from service.config import Settings

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(typer.Exit) as exc:
            serve_workers("worker_apps:pid_app", "127.0.0.1", port, Settings(), 2)
    assert exc.value.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
