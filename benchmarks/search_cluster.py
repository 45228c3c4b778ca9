"""A search cluster for the benchmarks: `backprop api` plus `backprop worker --concurrency 1`
processes on a fresh PostgreSQL database and a flushed Redis database.

    BENCH_PG / BENCH_REDIS: admin database URL and Redis URL (default db 11, flushed)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/11")


@contextmanager
def cluster(workers: int) -> Iterator[httpx.Client]:
    """`backprop api` + `workers` x `backprop worker --concurrency 1` on a fresh database."""
    import psycopg
    import redis

    name = f"bp_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(REDIS).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update(
        BACKPROP_DATA_DIR=tempfile.mkdtemp(prefix="search-bench-"),
        BACKPROP_LOG_LEVEL="WARNING",
        BACKPROP_RATE_LIMIT_PER_MINUTE="0",
        BACKPROP_DATABASE_URL=PG_ADMIN.rsplit("/", 1)[0].replace(
            "postgresql:", "postgresql+psycopg:"
        )
        + f"/{name}",
        BACKPROP_BROKER_URL=REDIS,
    )
    cli = [sys.executable, "-m", "service.cli"]
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([*cli, "migrate"], **run)
    key = subprocess.run([*cli, "keys", "create", "--tenant", "bench"], **run).stdout
    quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen([*cli, "api", "--port", str(port)], **quiet)]
    procs += [
        subprocess.Popen([*cli, "worker", "--concurrency", "1"], **quiet) for _ in range(workers)
    ]
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {key.split()[-1]}"},
        timeout=60,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with suppress(httpx.HTTPError):
                if client.get("/readyz").status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("the API did not start")
            time.sleep(0.2)
        time.sleep(3)  # let the workers connect to the broker
        yield client
    finally:
        client.close()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
