"""A search end to end on the embedded executor with two worker threads."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from support import csv_bytes

from service.config import Settings

NETWORK = {
    "layers": [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
}
SPACE = {
    "training.optimizer.learning_rate": {"loguniform": [1e-4, 3e-2]},
    "network.layers[1].units": {"choice": [16, 64, 128]},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Two embedded worker threads: a search's trials run side by side."""
    settings.embedded_workers = 2
    return settings


@pytest.fixture
def dataset_id(app_client) -> str:
    rows = [[i % 7, (i * 3) % 5, (i % 7 + (i * 3) % 5) % 2] for i in range(300)]
    data = csv_bytes(["a", "b", "t"], rows)
    r = app_client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def search_body(dataset_id: str, **changes) -> dict:
    body = {
        "dataset_id": dataset_id,
        "network": NETWORK,
        "training": {"epochs": 12, "batch_size": 16},
        "space": SPACE,
        "strategy": {"type": "random", "max_trials": 6, "parallelism": 2, "seed": 3},
    }
    return {**body, **changes}


def wait_for_search(client, search_id: str, timeout: float = 300.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        search = client.get(f"/v1/searches/{search_id}").json()
        if search["status"] in ("succeeded", "failed", "cancelled"):
            return search
        time.sleep(0.2)
    raise AssertionError(f"search {search_id} did not end in {timeout}s: {search}")


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_small_search_runs_to_the_end_with_overlapping_trials(app_client, dataset_id):
    r = app_client.post("/v1/searches", json=search_body(dataset_id))
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/v1/searches/{r.json()['id']}"
    search = wait_for_search(app_client, r.json()["id"])
    assert search["status"] == "succeeded", search
    assert search["trials"]["succeeded"] == 6 and search["total_trials"] == 6
    assert search["progress"] == 1.0
    trials = app_client.get(f"/v1/searches/{search['id']}/trials").json()["trials"]
    assert [t["trial"] for t in trials] == list(range(6))
    assert len({t["job_id"] for t in trials}) == 6
    # the leaderboard agrees with the trials
    best = min(trials, key=lambda t: (t["value"], t["trial"]))
    assert search["best"]["job_id"] == best["job_id"] and search["best"]["value"] == best["value"]
    assert search["best"]["model_id"] == best["model_id"] is not None
    # each trial is an ordinary job carrying its params
    job = app_client.get(f"/v1/jobs/{best['job_id']}").json()
    assert job["search_id"] == search["id"] and job["trial"] == best["trial"]
    assert job["params"] == best["params"]
    assert job["network"]["layers"][1]["units"] == best["params"]["network.layers[1].units"]
    lr = job["training"]["optimizer"]["learning_rate"]
    assert lr == best["params"]["training.optimizer.learning_rate"]
    assert 1e-4 <= lr <= 3e-2
    # never more than two at once, and some overlap in time
    spans = [(_t(t["started_at"]), _t(t["finished_at"])) for t in trials]
    overlapping = [
        (i, j)
        for i in range(6)
        for j in range(i + 1, 6)
        if spans[i][0] < spans[j][1] and spans[j][0] < spans[i][1]
    ]
    assert overlapping, spans
    for i in range(6):
        at_once = sum(1 for s, e in spans if s <= spans[i][0] < e)
        assert at_once <= 2, spans
