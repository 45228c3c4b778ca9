"""A trial judges itself at its pruner's epochs: pruned at its rung however fast it trains."""

from __future__ import annotations

from support import csv_bytes, wait_for_search

NETWORK = {
    "layers": [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
}
RATES = [0.03, 1e-5, 0.01, 3e-5, 3e-3, 1e-4]


def test_an_engine_fast_trial_is_pruned_at_its_rung(app_client):
    """Epochs of milliseconds whose rows would be written once, at the end, and a cancel poll
    once an hour: only the trial's own judgement at each rung can stop it there."""
    settings = app_client.app_settings
    settings.progress_seconds = settings.cancel_poll_seconds = 3600.0
    rows = [[i % 7, (i * 3) % 5, (i % 7 + (i * 3) % 5) % 2] for i in range(300)]
    data = csv_bytes(["a", "b", "t"], rows)
    r = app_client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    body = {
        "dataset_id": r.json()["id"],
        "network": NETWORK,
        "training": {"epochs": 12, "batch_size": 16},
        "space": {"training.optimizer.learning_rate": {"choice": RATES}},
        "strategy": {"type": "grid", "max_trials": 6, "parallelism": 1},
        "pruning": {"type": "asha", "min_epochs": 1, "reduction_factor": 3},  # rungs 1, 3, 9
    }
    search = wait_for_search(app_client, app_client.post("/v1/searches", json=body).json()["id"])
    assert search["status"] == "succeeded", search
    trials = app_client.get(f"/v1/searches/{search['id']}/trials").json()["trials"]
    pruned = [t for t in trials if t["status"] == "pruned"]
    assert pruned and search["trials"]["pruned"] == len(pruned), trials
    for trial in trials:
        history = app_client.get(f"/v1/jobs/{trial['job_id']}/history").json()["epochs"]
        assert [e["epoch"] for e in history] == list(range(1, trial["epochs_run"] + 1)), trial
        if trial["status"] == "pruned":  # stopped right after the rung it failed
            assert trial["epochs_run"] in (1, 3, 9), trial
            assert trial["error"].startswith(f"pruned by asha at epoch {trial['epochs_run']}:")
        else:
            assert trial["status"] == "succeeded" and trial["epochs_run"] == 12, trial
