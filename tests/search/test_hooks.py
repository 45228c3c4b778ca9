"""A trial judges itself at its pruner's epochs: stopped promptly however fast it trains."""

from __future__ import annotations

import re

from support import csv_bytes, wait_for_search

NETWORK = {
    "layers": [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
}
RATES = [0.03, 1e-5, 0.01, 3e-5, 3e-3, 1e-4]


def run_fast_search(client, pruning: dict) -> list[dict]:
    """Six trials of 12 epochs of a few milliseconds each, one at a time: their trials and
    each one's history."""
    rows = [[i % 7, (i * 3) % 5, (i % 7 + (i * 3) % 5) % 2] for i in range(300)]
    data = csv_bytes(["a", "b", "t"], rows)
    r = client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    body = {
        "dataset_id": r.json()["id"],
        "network": NETWORK,
        "training": {"epochs": 12, "batch_size": 16},
        "space": {"training.optimizer.learning_rate": {"choice": RATES}},
        "strategy": {"type": "grid", "max_trials": 6, "parallelism": 1},
        "pruning": pruning,
    }
    search = wait_for_search(client, client.post("/v1/searches", json=body).json()["id"])
    assert search["status"] == "succeeded", search
    trials = client.get(f"/v1/searches/{search['id']}/trials").json()["trials"]
    assert search["trials"]["pruned"] == sum(t["status"] == "pruned" for t in trials) > 0, trials
    for trial in trials:
        history = client.get(f"/v1/jobs/{trial['job_id']}/history").json()["epochs"]
        assert [e["epoch"] for e in history] == list(range(1, trial["epochs_run"] + 1)), trial
        if trial["status"] != "pruned":
            assert trial["status"] == "succeeded" and trial["epochs_run"] == 12, trial
    return [t for t in trials if t["status"] == "pruned"]


def test_an_engine_fast_trial_is_pruned_at_its_asha_rung(app_client):
    """Rows otherwise written once, at the end, and a cancel poll once an hour: only the
    trial's own judgement at each rung can stop it there."""
    settings = app_client.app_settings
    settings.progress_seconds = settings.cancel_poll_seconds = 3600.0
    pruned = run_fast_search(app_client, {"type": "asha", "min_epochs": 1, "reduction_factor": 3})
    for trial in pruned:  # stopped right after the rung (1, 3 or 9) it failed
        assert trial["epochs_run"] in (1, 3, 9), trial
        assert trial["error"].startswith(f"pruned by asha at epoch {trial['epochs_run']}:")


def test_median_pruning_judges_a_fast_trial_between_epochs(app_client):
    """Rows otherwise written once, at the end: the trial judges itself once a cancel poll
    interval has passed (here: at every epoch), and stops after the epoch it failed at."""
    app_client.app_settings.progress_seconds = 3600.0
    app_client.app_settings.cancel_poll_seconds = 0.0
    pruning = {"type": "median", "min_epochs": 2, "startup_trials": 2}
    for trial in run_fast_search(app_client, pruning):
        at = int(re.match(r"pruned by median at epoch (\d+):", trial["error"]).group(1))
        assert 2 <= at == trial["epochs_run"] < 12, trial
