"""`backprop up`: a short banner and human log lines in a terminal (a pseudo-terminal here),
JSON log lines when its output is not a terminal or when BACKPROP_LOG_FORMAT=json."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from processes import ROOT, ProcessGroup, wait_healthy
from support import free_port

pytestmark = pytest.mark.e2e


class Terminal:
    """`backprop up` with stdin, stdout and stderr on a pseudo-terminal; reads its screen."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *args],
            cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.screen = ""

    def read_until(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            assert time.monotonic() < deadline, f"no {text!r} on the screen:\n{self.screen}"
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.screen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the process closed the terminal
                    assert text in self.screen, f"exited without {text!r}:\n{self.screen}"
        return self.screen

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # Ctrl-C
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.master)


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    return {**env, "BACKPROP_DATA_DIR": str(tmp_path / "data"), **extra}


def test_terminal_gets_a_banner_and_human_log_lines(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    term = Terminal(environment(tmp_path), "up", "--port", str(port))
    try:
        screen = term.read_until("Press Ctrl-C")
        key = (tmp_path / "data" / "api-key.txt").read_text().strip()
        for fact in (base, f"{base}/", f"{base}/docs", str(tmp_path / "data" / "api-key.txt")):
            assert fact in screen, screen
        assert key in screen  # a first start shows the new key
        assert "alembic" not in screen.lower() and "Running upgrade" not in screen, screen
        assert "Uvicorn running" not in screen and '{"time"' not in screen, screen
        assert httpx.get(f"{base}/docs", timeout=10).status_code == 200
        line = term.read_until("GET /docs 200").splitlines()[-1]
        assert "INFO service.access: GET /docs 200" in line and not line.startswith("{"), line
    finally:
        term.stop()
    again = Terminal(environment(tmp_path), "up", "--port", str(port))
    try:  # the second start says where the key is, and not the key
        screen = again.read_until("Press Ctrl-C")
        assert "api-key.txt" in screen and key not in screen, screen
    finally:
        again.stop()


def test_json_when_asked_even_in_a_terminal(tmp_path):
    port = free_port()
    term = Terminal(environment(tmp_path, BACKPROP_LOG_FORMAT="json"), "up", "--port", str(port))
    try:
        screen = term.read_until("Press Ctrl-C")  # the banner is for the person watching
        logs = [json.loads(ln) for ln in screen.splitlines() if ln.startswith("{")]
        assert {"alembic.runtime.migration", "uvicorn.error"} <= {r["logger"] for r in logs}
    finally:
        term.stop()


def test_not_a_terminal_gets_json_lines(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    group = ProcessGroup(env=environment(tmp_path, PYTHONUNBUFFERED="1"), logs=tmp_path)
    try:
        up = group.start("up", "up", "--port", str(port))
        wait_healthy(base, up)
        httpx.get(f"{base}/docs", timeout=10)
        deadline = time.monotonic() + 30
        while "GET /docs" not in up.output():
            assert time.monotonic() < deadline, up.output()
            time.sleep(0.1)
    finally:
        group.stop()
    out = up.output().splitlines()
    facts = [ln for ln in out if not ln.startswith("{")]
    records = [json.loads(ln) for ln in out if ln.startswith("{")]
    assert facts[0] == f"Backprop Service on {base}  (docs: {base}/docs)", out
    assert f"dashboard: {base}/" in facts and "worker: embedded" in facts, out
    assert any(f.startswith("API key (saved in ") for f in facts), out
    assert {"alembic.runtime.migration", "uvicorn.error", "service.access"} <= {
        r["logger"] for r in records
    }, out
    assert not any(r["logger"] == "alembic.runtime.plugins" for r in records), out


def test_unknown_log_format_is_refused(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "up"],
        cwd=ROOT,
        env=environment(tmp_path, BACKPROP_LOG_FORMAT="yaml"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "BACKPROP_LOG_FORMAT must be json, text or auto, not 'yaml'" in done.stderr
