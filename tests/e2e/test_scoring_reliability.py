"""A batch scoring run survives its worker's SIGKILL: real Celery workers, PostgreSQL, Redis.
The next worker resumes at the first chunk not stored, and the CSV holds every row once."""

from __future__ import annotations

import csv
import io
import time

import numpy as np
import pytest
from cluster import Cluster
from test_reliability import runs

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

ROWS, CHUNK = 30_000, 100
WIDE = {  # wide enough that scoring 30k rows takes a few seconds of chunk after chunk
    "layers": [
        {"type": "dense", "units": 1024, "activation": "relu"},
        {"type": "dense", "units": 1024, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
}


def test_sigkill_mid_scoring_resumes_without_duplicate_rows(processes, postgres_url, private_redis):
    cluster = Cluster(
        processes, postgres_url, private_redis.url, BACKPROP_SCORE_CHUNK_ROWS=str(CHUNK)
    )
    victim = cluster.worker()
    small, big = cluster.dataset(rows=500), cluster.dataset(rows=ROWS)
    r = cluster.client.post(
        "/v1/jobs",
        json={"dataset_id": small, "network": WIDE, "training": {"epochs": 1, "seed": 3}},
    )
    model = cluster.wait_status(r.json()["id"], ("succeeded",))["model_id"]
    r = cluster.client.post(f"/v1/models/{model}/predictions", json={"dataset_id": big})
    assert r.status_code == 202, r.text
    location = r.headers["Location"]

    deadline = time.monotonic() + 120
    while (run := cluster.client.get(location).json())["progress"]["rows"] < 5 * CHUNK:
        assert run["status"] in ("queued", "running") and time.monotonic() < deadline, run
        time.sleep(0.02)
    cluster.kill(victim)  # SIGKILL between (or inside) chunk writes
    run = cluster.client.get(location).json()
    assert run["status"] == "running" and run["progress"]["rows"] < ROWS, run
    stored = run["progress"]["rows"]
    cluster.worker()
    deadline = time.monotonic() + 180
    while (run := cluster.client.get(location).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
    assert run["status"] == "succeeded" and run["attempt"] == 2, run
    attempts = runs(postgres_url, run["id"])
    assert [a for a, _, _ in attempts] == [1, 2] and attempts[0][1] == "worker-lost"
    assert attempts[1][2] * CHUNK >= stored  # resumed at its stored chunks, not from row 0

    text = cluster.client.get(run["download"]).text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["x0", "x1"] and rows[0][-4:] == ["prediction", "p(0)", "p(1)", "p(2)"]
    X = np.random.default_rng(5).normal(size=(ROWS, 20)).astype(np.float32)  # cluster.dataset
    assert len(rows) == ROWS + 1  # every row once, in order
    assert np.array_equal(np.array([float(r[0]) for r in rows[1:]], np.float32), X[:, 0])
