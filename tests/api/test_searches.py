"""A search end to end on the embedded executor with two worker threads."""

from __future__ import annotations

from datetime import datetime

import pytest
from support import csv_bytes, wait_for_search

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


def test_bad_searches_are_422_naming_the_path(app_client, dataset_id):
    cases = [
        ({"space": {"network.layers[7].units": {"int": [1, 4]}}}, "network.layers[7].units"),
        ({"space": {"network.layers[1].units": {"int": [0, 4]}}}, "network.layers[1].units"),
        ({"space": {"network.layers[2].units": {"choice": [2, 3]}}}, "network.layers[2]"),
    ]
    for changes, fragment in cases:
        r = app_client.post("/v1/searches", json=search_body(dataset_id, **changes))
        assert r.status_code == 422, r.text
        assert fragment in r.json()["detail"], r.text
        assert r.json()["errors"][0]["field"].startswith("space."), r.text
    assert app_client.get("/v1/searches").json()["total"] == 0
    assert app_client.get("/v1/jobs").json()["total"] == 0


def test_searches_per_tenant_are_limited_with_retry_after(app_client, dataset_id):
    app_client.app_settings.max_concurrent_searches = 1
    body = search_body(dataset_id, strategy={"max_trials": 2, "parallelism": 1})
    first = app_client.post("/v1/searches", json=body)
    assert first.status_code == 202, first.text
    r = app_client.post("/v1/searches", json=body)
    if r.status_code != 202:  # the first may have ended already on a fast machine
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, r.text
    wait_for_search(app_client, first.json()["id"])


def test_asha_prunes_trials_which_keep_their_history(app_client):
    app_client.app_settings.progress_seconds = 0  # epoch rows (and judging) after every epoch
    rows = [[i % 7, (i * 3) % 5, (i % 7 + (i * 3) % 5) % 2] for i in range(3000)]
    data = csv_bytes(["a", "b", "t"], rows)
    r = app_client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    body = search_body(
        r.json()["id"],
        training={"epochs": 30, "batch_size": 4},
        strategy={"type": "grid", "max_trials": 6, "parallelism": 1},
        space={
            "training.optimizer.learning_rate": {"choice": [0.03, 1e-4, 3e-5, 0.01, 1e-5, 3e-3]}
        },
        pruning={"type": "asha", "min_epochs": 1, "reduction_factor": 3},
    )
    search = wait_for_search(app_client, app_client.post("/v1/searches", json=body).json()["id"])
    assert search["status"] == "succeeded", search
    trials = app_client.get(f"/v1/searches/{search['id']}/trials").json()["trials"]
    pruned = [t for t in trials if t["status"] == "pruned"]
    assert pruned and search["trials"]["pruned"] == len(pruned), trials
    for trial in pruned:
        assert trial["error"].startswith("pruned by asha at epoch"), trial
        assert 1 <= trial["epochs_run"] < 30, trial
        history = app_client.get(f"/v1/jobs/{trial['job_id']}/history").json()
        assert history["status"] == "cancelled" and len(history["epochs"]) >= 1
    assert search["best"]["job_id"] not in {t["job_id"] for t in pruned}


def test_cancel_stops_the_search_and_delete_removes_it(app_client, dataset_id):
    body = search_body(
        dataset_id,
        training={"epochs": 2000, "batch_size": 8},
        strategy={"max_trials": 5, "parallelism": 2},
    )
    search_id = app_client.post("/v1/searches", json=body).json()["id"]
    assert app_client.delete(f"/v1/searches/{search_id}").status_code == 409
    r = app_client.post(f"/v1/searches/{search_id}/cancel")
    assert r.status_code == 202 and r.json()["cancel_requested"], r.text
    search = wait_for_search(app_client, search_id)
    assert search["status"] == "cancelled", search
    trials = app_client.get(f"/v1/searches/{search_id}/trials").json()["trials"]
    assert len(trials) == 2 and {t["status"] for t in trials} == {"cancelled"}
    assert app_client.post(f"/v1/searches/{search_id}/cancel").status_code == 409
    assert app_client.delete(f"/v1/searches/{search_id}").status_code == 204
    assert app_client.get(f"/v1/searches/{search_id}").status_code == 404
    assert app_client.get(f"/v1/jobs/{trials[0]['job_id']}").status_code == 404


def test_event_stream_tells_trials_best_and_end(app_client, dataset_id):
    body = search_body(dataset_id, strategy={"max_trials": 3, "parallelism": 2, "seed": 1})
    search_id = app_client.post("/v1/searches", json=body).json()["id"]
    events = []
    with app_client.stream("GET", f"/v1/searches/{search_id}/events") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event: "):
                events.append(line[7:])
    assert events[-1] == "end" and events.count("trial_ended") == 3, events
    assert "trial_started" in events and "best" in events, events
    assert events.index("trial_started") < events.index("trial_ended") < events.index("end")
