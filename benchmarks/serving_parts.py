"""Pieces of serving_bench.py: start servers, run wrk, drive the ASGI app in process."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BARE_APP = """
import uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/healthz")
async def healthz():
    return {"status": "ok"}
uvicorn.run(app, host="127.0.0.1", port={port}, log_config=None, access_log=False)
"""

RAW_APP = """
import uvicorn
from service.cli.serving import widen_body_read_ahead
widen_body_read_ahead()  # as the service's processes do
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:  # read the whole body, do nothing with it
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"status":"ok"}'})
uvicorn.run(app, host="127.0.0.1", port={port}, log_config=None, access_log=False)
"""
"""The floor: a raw ASGI app on the same uvicorn settings (the service's body read-ahead
included), what HTTP and the body cost."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    url: str

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)


def service_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update(
        BACKPROP_DATA_DIR=str(data_dir),
        BACKPROP_RATE_LIMIT_PER_MINUTE="1000000000",  # counted, never reached
        **extra,
    )
    return env


def start(args: list[str], env: dict[str, str], port: int, log: Path) -> Server:
    """Start a process serving on `port`; wait for /healthz."""
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{args} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Server(proc, url)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{args} did not start")


def start_service(data_dir: Path, command: list[str], log: Path, **env: str) -> Server:
    port = free_port()
    args = [sys.executable, "-m", "service.cli", *command, "--port", str(port)]
    return start(args, service_env(data_dir, **env), port, log)


def start_bare(log: Path, code: str = BARE_APP) -> Server:
    """The bare FastAPI app (or another app `code` serving /healthz on {port})."""
    port = free_port()
    return start(
        [sys.executable, "-c", code.replace("{port}", str(port))], dict(os.environ), port, log
    )


@dataclass
class WrkResult:
    rps: float
    p99_ms: float
    errors: int
    busy_cores: float = 0.0
    """Cores the whole machine kept busy during the run (/proc/stat), wrk's included."""
    wrk_cores: float = 0.0
    """Cores wrk itself used (its user + system CPU time over the run)."""

    @property
    def server_cpu_us(self) -> float:
        """CPU microseconds per request outside wrk (the servers, the kernel's loopback)."""
        return (self.busy_cores - self.wrk_cores) / self.rps * 1e6


def _busy_and_total() -> tuple[int, int]:
    """The machine's busy and total CPU ticks so far (/proc/stat; idle and iowait idle)."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk(
    url: str,
    seconds: int = 5,
    connections: int = 16,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    """Run wrk (Debian's package) against `url`; POST `body` when given."""
    lines = []
    if body is not None:
        lines += ['wrk.method = "POST"', f"wrk.body = [==[{body.decode()}]==]"]
    for name, value in (headers or {}).items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url]
    (busy, total), child_cpu, started = _busy_and_total(), _children_cpu(), time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    took = time.monotonic() - started
    busy_after, total_after = _busy_and_total()
    cores = (os.cpu_count() or 1) * (busy_after - busy) / max(total_after - total, 1)
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        rps,
        float(p99.group(1)) * scale,
        errors + (int(non2xx.group(1)) if non2xx else 0),
        cores,
        (_children_cpu() - child_cpu) / took,
    )


def asgi_alternated(cases: list[tuple], n: int, rounds: int) -> list[float]:
    """Microseconds per request of each case (app, method, path, headers, body): `rounds`
    rounds in which every case serves n requests in turn, so drift of the machine falls on
    all of them alike; the median round of each."""

    async def one(app, method: str, path: str, headers: list, body: bytes) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        status = [0]

        async def receive() -> dict:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]

        await app(scope, receive, send)
        return status[0]

    async def alternate() -> list[list[float]]:
        times: list[list[float]] = [[] for _ in cases]
        for case in cases:
            assert await one(*case) == 200
        for _ in range(rounds):
            for i, case in enumerate(cases):
                started = time.perf_counter()
                for _ in range(n):
                    await one(*case)
                times[i].append((time.perf_counter() - started) / n * 1e6)
        return times

    return [sorted(t)[len(t) // 2] for t in asyncio.run(alternate())]
