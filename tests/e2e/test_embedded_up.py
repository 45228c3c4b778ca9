"""The Quick start: `backprop up` with no configuration (SQLite + in-process worker)."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading
import time

import httpx
import pytest
from flows import sklearn_wine_accuracy, train_and_predict_wine
from processes import wait_healthy
from support import csv_bytes, free_port

pytestmark = pytest.mark.e2e


def test_up_prints_a_key_and_trains(processes, tmp_path):
    port = free_port()
    up = processes.start("up", "up", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, up)
    key_file = tmp_path / "data" / "api-key.txt"
    key = key_file.read_text().strip()
    deadline = time.monotonic() + 10
    while key not in up.output():
        assert time.monotonic() < deadline, up.output()
        time.sleep(0.1)
    assert (tmp_path / "data" / "backprop.db").exists()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        _, accuracy = train_and_predict_wine(c)
    assert accuracy >= sklearn_wine_accuracy() - 0.023, accuracy


def test_sigterm_with_an_open_event_stream_releases_the_job(processes, tmp_path):
    """An open SSE stream (the dashboard keeps one) must not hold a shutdown hostage: the
    process exits within the grace period and its running job goes back to the queue."""
    port = free_port()
    processes.env["BACKPROP_SHUTDOWN_GRACE_SECONDS"] = "1"
    up = processes.start("up", "up", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, up)
    key = (tmp_path / "data" / "api-key.txt").read_text().strip()
    rows = [[i % 17, (i * 7) % 5, i % 2] for i in range(2000)]
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        ds = c.post(
            "/v1/datasets", files={"file": ("d.csv", csv_bytes(["a", "b", "t"], rows))},
            data={"target": "t"},
        ).json()["id"]  # fmt: skip
        network = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}
        job = c.post(
            "/v1/jobs", json={"dataset_id": ds, "network": network, "training": {"epochs": 5000}}
        ).json()["id"]
        deadline = time.monotonic() + 60
        while c.get(f"/v1/jobs/{job}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        opened = threading.Event()

        def listen() -> None:
            with (
                contextlib.suppress(httpx.HTTPError),
                httpx.stream(
                    "GET", f"{base}/v1/jobs/{job}/events", headers=headers, timeout=60
                ) as stream,
            ):
                for _ in stream.iter_lines():
                    opened.set()

        threading.Thread(target=listen, daemon=True).start()
        assert opened.wait(30)
        os.killpg(up.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15  # a hang guard: the grace period is 1 s
        while up.popen.poll() is None:
            assert time.monotonic() < deadline, f"still running after SIGTERM:\n{up.output()}"
            time.sleep(0.1)
    with sqlite3.connect(tmp_path / "data" / "backprop.db") as db:
        status, owner = db.execute(
            "SELECT status, lease_owner FROM jobs WHERE id = ?", (job,)
        ).fetchone()
    assert (status, owner) == ("queued", None), up.output()
