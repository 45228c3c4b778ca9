"""`backprop api --workers N` runs N API processes on one port, each listening on its own
socket (service/cli/workers.py) and serving requests."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
from processes import ProcessGroup, children, listening, wait_healthy
from support import REDIS_URL, free_port, require_service


def test_api_with_two_workers_serves_from_two_processes(tmp_path):
    require_service("Redis", "127.0.0.1", 6379)
    port = free_port()
    env = {
        **os.environ,
        "BACKPROP_DATA_DIR": str(tmp_path / "data"),
        "BACKPROP_BROKER_URL": REDIS_URL,
        "BACKPROP_PORT": str(port),
        "BACKPROP_LOG_FORMAT": "text",
    }
    group = ProcessGroup(env=env, logs=tmp_path)
    try:
        group.run("migrate")
        key = group.run("keys", "create", "--tenant", "w").strip().splitlines()[-1]
        api = group.start("api", "api", "--workers", "2")
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, api)
        spawned = [  # uvicorn's worker processes (not multiprocessing's resource tracker)
            pid
            for pid in children(api.popen.pid)
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(spawned) == 2, group.dump()
        assert listening(port) == 2  # a socket each: the kernel spreads the connections
        for pid in spawned:  # each takes cores // 2 for BLAS and big batches (core_share)
            assert b"BACKPROP_API_PROCESSES=2\0" in Path(f"/proc/{pid}/environ").read_bytes()
        r = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 30  # the access line is written after the answer
        while "GET /v1/models 200" not in api.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = api.output()  # the service's access line only, not uvicorn's too
        assert "GET /v1/models 200" in log and "uvicorn.access" not in log, log
    finally:
        group.stop()
