"""A search on Celery workers, PostgreSQL and Redis: overlapping trials, a worker SIGKILLed
mid-trial, the API restarted mid-search. Every trial runs once or resumes; none is lost."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from cluster import Cluster
from processes import wait_healthy
from sqlalchemy import create_engine, text
from test_reliability import checkpoint_epoch

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

NETWORK = {
    "layers": [
        {"type": "dense", "units": 32, "activation": "relu"},
        {"type": "dense", "units": 32, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
}
SPACE = {  # the example search
    "training.optimizer.learning_rate": {"loguniform": [1e-4, 3e-2]},
    "network.layers[1].units": {"choice": [16, 64, 128]},
}


@pytest.fixture
def cluster(processes, postgres_url, private_redis) -> Cluster:
    return Cluster(processes, postgres_url, private_redis.url)


def submit_search(cluster: Cluster, dataset_id: str, epochs: int) -> str:
    body = {
        "dataset_id": dataset_id,
        "network": NETWORK,
        "training": {"epochs": epochs, "batch_size": 16, "validation_split": 0.2, "seed": 4},
        "space": SPACE,
        "strategy": {"type": "random", "max_trials": 8, "parallelism": 2, "seed": 1},
    }
    r = cluster.client.post("/v1/searches", json=body)
    assert r.status_code == 202, r.text
    return r.json()["id"]


def wait_search(cluster: Cluster, search_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (search := cluster.client.get(f"/v1/searches/{search_id}").json())["status"] not in (
        "succeeded",
        "failed",
        "cancelled",
    ):
        assert time.monotonic() < deadline, search
        time.sleep(0.2)
    return search


def trials(cluster: Cluster, search_id: str) -> list[dict[str, Any]]:
    return cluster.client.get(f"/v1/searches/{search_id}/trials").json()["trials"]


def runs_by_job(database_url: str) -> dict[str, list[tuple[int, str | None, int]]]:
    """{job id: [(attempt, outcome, resumed_from_epoch), ...]} of every job run."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT job_id, attempt, outcome, resumed_from_epoch FROM job_runs ORDER BY id")
        ).all()
    engine.dispose()
    out: dict[str, list[tuple[int, str | None, int]]] = {}
    for job_id, attempt, outcome, resumed in rows:
        out.setdefault(job_id, []).append((attempt, outcome, resumed))
    return out


def running_trials(cluster: Cluster, search_id: str) -> list[dict[str, Any]]:
    return [t for t in trials(cluster, search_id) if t["status"] == "running"]


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_complete_leaderboard(cluster: Cluster, search: dict[str, Any]) -> list[dict]:
    """8 distinct succeeded trials, and `best` is the trial with the lowest val_loss."""
    assert search["status"] == "succeeded", search
    assert search["trials"]["succeeded"] == 8 and search["total_trials"] == 8, search
    rows = trials(cluster, search["id"])
    assert [t["trial"] for t in rows] == list(range(8))
    assert len({t["job_id"] for t in rows}) == 8 and all(t["status"] == "succeeded" for t in rows)
    best = min(rows, key=lambda t: (t["value"], t["trial"]))
    assert search["best"]["job_id"] == best["job_id"] and search["best"]["value"] == best["value"]
    assert search["best"]["params"] == best["params"]
    model = cluster.client.get(f"/v1/models/{search['best']['model_id']}").json()
    assert model["metrics"]["val_loss"] == best["value"]
    return rows


def test_example_search_on_two_celery_workers(cluster):
    dataset = cluster.dataset(rows=600)
    cluster.worker()
    cluster.worker()
    search = wait_search(cluster, submit_search(cluster, dataset, epochs=6))
    rows = assert_complete_leaderboard(cluster, search)
    spans = [(_t(t["started_at"]), _t(t["finished_at"])) for t in rows]
    overlapping = [
        (i, j)
        for i in range(8)
        for j in range(i + 1, 8)
        if spans[i][0] < spans[j][1] and spans[j][0] < spans[i][1]
    ]
    assert overlapping, spans  # the two workers ran trials side by side
    for start, _ in spans:  # never more than `parallelism` at once
        assert sum(1 for s, e in spans if s <= start < e) <= 2, spans


def test_sigkill_a_worker_mid_search(cluster, postgres_url):
    dataset = cluster.dataset(rows=1200)
    victim = cluster.worker()
    cluster.worker()
    # 60 epochs: a trial must still be far from its end when the victim is killed (at 20,
    # the victim once finished its trial between the check below and the kill)
    search_id = submit_search(cluster, dataset, epochs=60)
    deadline = time.monotonic() + 120
    while len(running := running_trials(cluster, search_id)) < 2 or not all(
        checkpoint_epoch(postgres_url, t["job_id"]) >= 2 for t in running
    ):  # both workers are mid-trial, each trial with a checkpoint
        assert time.monotonic() < deadline, trials(cluster, search_id)
        time.sleep(0.05)
    saved = {t["job_id"]: checkpoint_epoch(postgres_url, t["job_id"]) for t in running}
    cluster.kill(victim)  # SIGKILL: its trial's lease expires and the trial goes back
    cluster.worker()
    search = wait_search(cluster, search_id)
    rows = assert_complete_leaderboard(cluster, search)
    runs = runs_by_job(postgres_url)
    assert set(runs) == {t["job_id"] for t in rows}  # no job outside the 8 trials
    retried = {job_id: r for job_id, r in runs.items() if len(r) > 1}
    assert len(retried) == 1, runs  # only the killed worker's trial ran again
    ((job_id, (first, second)),) = retried.items()
    assert first[1] != "succeeded" and second[:2] == (2, "succeeded"), runs
    assert second[2] >= saved[job_id] >= 2  # resumed from its checkpoint, not from scratch
    assert all(r == [(1, "succeeded", 0)] for j, r in runs.items() if j != job_id), runs
    history = cluster.client.get(f"/v1/jobs/{job_id}/history").json()["epochs"]
    assert [e["epoch"] for e in history] == list(range(1, 61))  # no gaps, no repeats


def test_api_restarted_mid_search_loses_nothing(cluster, postgres_url):
    dataset = cluster.dataset(rows=600)
    cluster.worker()
    cluster.worker()
    search_id = submit_search(cluster, dataset, epochs=10)
    deadline = time.monotonic() + 120
    while sum(t["status"] == "succeeded" for t in trials(cluster, search_id)) < 2:
        assert time.monotonic() < deadline, trials(cluster, search_id)
        time.sleep(0.1)
    cluster.kill(cluster.api)  # SIGKILL the API between trials' epochs
    cluster.api = cluster.processes.start("api2", "api", "--port", str(cluster.port))
    wait_healthy(f"http://127.0.0.1:{cluster.port}", cluster.api)
    search = wait_search(cluster, search_id)
    assert_complete_leaderboard(cluster, search)
    runs = runs_by_job(postgres_url)
    assert len(runs) == 8 and all(r == [(1, "succeeded", 0)] for r in runs.values()), runs
