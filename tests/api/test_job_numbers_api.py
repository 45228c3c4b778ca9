"""One story about a finished job's numbers over HTTP: the job, its history and its model
agree on the last epoch and on the best epoch that early stopping restored; the echoed spec
shows the loss and initializers training used."""

from __future__ import annotations

from support import WINE_TRAINING, wait_for_job, wine_csv, wine_split

NETWORK = {"layers": [{"type": "dense", "units": 32, "activation": "relu"},
                      {"type": "dense", "units": 3, "activation": "softmax"}]}  # fmt: skip


def test_job_metrics_and_model_name_the_last_and_the_restored_best_epoch(app_client):
    names, X, _, y, _, _ = wine_split()
    r = app_client.post("/v1/datasets", files={"file": ("w.csv", wine_csv(names, X, y))},
                        data={"target": "cultivar"})  # fmt: skip
    training = {k: v for k, v in WINE_TRAINING.items() if k != "loss"}
    training.update(epochs=200, early_stopping={"patience": 4})
    body = {"dataset_id": r.json()["id"], "network": NETWORK, "training": training}
    job = app_client.post("/v1/jobs", json=body).json()
    assert job["training"]["loss"] == "cross_entropy"  # resolved, not null
    assert [x["initializer"] for x in job["network"]["layers"]] == ["he", "glorot"]
    done = wait_for_job(app_client, job["id"])
    assert done["status"] == "succeeded", done
    history = app_client.get(f"/v1/jobs/{job['id']}/history").json()["epochs"]
    m = done["metrics"]
    assert m["epochs_run"] == len(history) < 200 == m["epochs_planned"] and m["stopped_early"]
    best = min(history, key=lambda e: e["val_loss"])
    assert m["restored_best_epoch"] == m["epoch"] == best["epoch"] < len(history)
    assert (m["loss"], m["val_loss"]) == (best["loss"], best["val_loss"])
    last = history[-1]
    assert m["last_epoch"] == {"epoch": last["epoch"], "loss": last["loss"],
                               "val_loss": last["val_loss"], **last["metrics"]}  # fmt: skip
    assert done["progress"]["epoch"] == last["epoch"] and done["progress"]["epochs"] == 200
    model = app_client.get(f"/v1/models/{done['model_id']}").json()
    assert {k: v for k, v in model["metrics"].items() if k != "validation"} == m
    assert model["training"]["loss"] == "cross_entropy"
    assert [x["initializer"] for x in model["network"]["layers"]] == ["he", "glorot"]
    assert app_client.get(f"/v1/jobs/{job['id']}").json()["training"] == job["training"]
    listed = app_client.get("/v1/jobs").json()["items"][0]
    assert listed["network"] == job["network"] and listed["metrics"] == m
