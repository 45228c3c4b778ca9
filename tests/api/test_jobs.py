"""Jobs over HTTP with the embedded executor: submit, poll, history, cancel, validation."""

from __future__ import annotations

import numpy as np
from support import WINE_NETWORK, WINE_TRAINING, csv_bytes, wait_for_job, wine_csv, wine_split


def upload(client, data: bytes, target: str) -> dict:
    r = client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": target})
    assert r.status_code == 201, r.text
    return r.json()


def wine_dataset(client) -> dict:
    names, X_tr, _, y_tr, _, _ = wine_split()
    return upload(client, wine_csv(names, X_tr, y_tr), "cultivar")


def test_train_poll_history(app_client):
    ds = wine_dataset(app_client)
    r = app_client.post(
        "/v1/jobs",
        json={"dataset_id": ds["id"], "network": WINE_NETWORK, "training": WINE_TRAINING},
    )
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] in ("queued", "running", "succeeded")
    done = wait_for_job(app_client, job["id"])
    assert done["status"] == "succeeded", done
    assert done["model_id"] and done["attempt"] == 1
    assert done["started_at"].endswith("Z") and done["finished_at"].endswith("Z")
    progress = done["progress"]
    assert progress["epoch"] == progress["epochs"] == 60 and progress["fraction"] == 1.0
    assert progress["samples_per_second"] > 0 and progress["eta_seconds"] == 0
    assert done["metrics"]["val_accuracy"] >= 0.85
    history = app_client.get(f"/v1/jobs/{job['id']}/history").json()["epochs"]
    assert [h["epoch"] for h in history] == list(range(1, 61))
    assert history[-1]["loss"] < history[0]["loss"]
    assert all(h["val_loss"] is not None and "accuracy" in h["metrics"] for h in history)
    listed = app_client.get("/v1/jobs", params={"status": "succeeded"}).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]
    assert app_client.get("/v1/jobs", params={"status": "failed"}).json()["total"] == 0


def test_defaults_fill_the_training_spec(app_client):
    ds = upload(app_client, csv_bytes(["a", "t"], [[i, i % 2] for i in range(20)]), "t")
    body = {
        "dataset_id": ds["id"],
        "network": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
    }
    job = app_client.post("/v1/jobs", json=body).json()
    assert job["training"]["epochs"] == 20 and job["training"]["optimizer"]["type"] == "adam"
    assert wait_for_job(app_client, job["id"])["status"] == "succeeded"


def test_output_units_must_match_classes(app_client):
    ds = wine_dataset(app_client)
    network = {
        "layers": [
            {"type": "dense", "units": 8, "activation": "relu"},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    }
    r = app_client.post("/v1/jobs", json={"dataset_id": ds["id"], "network": network})
    assert r.status_code == 422
    assert "layer 1" in r.json()["detail"] and "3 classes" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "network.layers[1]"
    assert app_client.get("/v1/jobs").json()["total"] == 0


def test_loss_must_suit_the_task(app_client):
    ds = wine_dataset(app_client)
    body = {"dataset_id": ds["id"], "network": WINE_NETWORK, "training": {"loss": "mse"}}
    r = app_client.post("/v1/jobs", json=body)
    assert r.status_code == 422 and "regression" in r.json()["detail"]
    reg = upload(app_client, csv_bytes(["x", "y"], [[i, i * 0.37] for i in range(40)]), "y")
    body = {"dataset_id": reg["id"], "network": WINE_NETWORK, "training": {"loss": "cross_entropy"}}
    r = app_client.post("/v1/jobs", json=body)
    assert r.status_code == 422 and "cross_entropy" in r.json()["detail"]


def test_unknown_layer_field_and_type_are_422(app_client):
    ds = wine_dataset(app_client)
    bad = {"layers": [{"type": "dense", "units": 3, "activation": "softmax", "color": "red"}]}
    r = app_client.post("/v1/jobs", json={"dataset_id": ds["id"], "network": bad})
    assert r.status_code == 422 and "network.layers[0].color" in r.json()["detail"]
    bad = {"layers": [{"type": "conv9d", "units": 3}]}
    r = app_client.post("/v1/jobs", json={"dataset_id": ds["id"], "network": bad})
    assert r.status_code == 422 and "network.layers[0]" in r.json()["detail"]
    r = app_client.post(
        "/v1/jobs", json={"dataset_id": ds["id"], "network": WINE_NETWORK, "status": "succeeded"}
    )
    assert r.status_code == 422 and "status" in r.json()["detail"]


def test_divergence_fails_the_job(app_client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)) * 1e3
    rows = [[*x, sum(x) * 1e4] for x in X.tolist()]
    ds = upload(app_client, csv_bytes(["a", "b", "c", "y"], rows), "y")
    body = {
        "dataset_id": ds["id"],
        "network": {
            "layers": [
                {"type": "dense", "units": 16, "activation": "relu"},
                {"type": "dense", "units": 1},
            ]
        },
        "training": {"optimizer": {"type": "sgd", "learning_rate": 10.0}, "epochs": 50},
    }
    job = app_client.post("/v1/jobs", json=body).json()
    done = wait_for_job(app_client, job["id"])
    assert done["status"] == "failed" and "diverged at epoch" in done["error"]
    assert done["model_id"] is None


def test_cancel_running_job(app_client):
    rows = [[*np.random.default_rng(i).normal(size=4).tolist(), i % 3] for i in range(3000)]
    ds = upload(app_client, csv_bytes(["a", "b", "c", "d", "t"], rows), "t")
    body = {
        "dataset_id": ds["id"],
        "network": {
            "layers": [
                {"type": "dense", "units": 64, "activation": "relu"},
                {"type": "dense", "units": 3, "activation": "softmax"},
            ]
        },
        "training": {"epochs": 100000, "batch_size": 8},
    }
    job = app_client.post("/v1/jobs", json=body).json()
    import time

    deadline = time.monotonic() + 30
    while app_client.get(f"/v1/jobs/{job['id']}").json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    r = app_client.post(f"/v1/jobs/{job['id']}/cancel")
    assert r.status_code == 202 and r.json()["cancel_requested"] is True
    done = wait_for_job(app_client, job["id"], timeout=10)
    assert done["status"] == "cancelled" and done["model_id"] is None
    assert app_client.post(f"/v1/jobs/{job['id']}/cancel").status_code == 409


def test_unknown_job_is_404(app_client):
    assert app_client.get("/v1/jobs/nope").status_code == 404
    assert app_client.get("/v1/jobs/nope/history").status_code == 404


def test_an_early_stopped_job_ends_with_complete_progress(app_client):
    ds = wine_dataset(app_client)
    training = {
        **WINE_TRAINING,
        "epochs": 400,
        "validation_split": 0.3,
        "early_stopping": {"patience": 1, "min_delta": 1.0},  # nothing improves by 1.0
    }
    r = app_client.post(
        "/v1/jobs", json={"dataset_id": ds["id"], "network": WINE_NETWORK, "training": training}
    )
    done = wait_for_job(app_client, r.json()["id"])
    assert done["status"] == "succeeded", done
    progress = done["progress"]
    assert progress["epoch"] == 2 and progress["epochs"] == 400
    assert progress["fraction"] == 1.0 and progress["eta_seconds"] == 0


def test_error_fields_name_the_exact_place(app_client):
    """Layer and option type tags are dropped from error paths, but a field that shares a
    tag's name ('activation') is kept; a body that is not JSON is reported at 'body'."""
    cases = [
        ({"layers": [{"type": "dense", "units": 2, "activation": "nope"}]}, {}),
        ({"layers": [{"type": "activation", "activation": "nope"}]}, {}),
        (WINE_NETWORK, {"optimizer": {"type": "adam", "learning_rate": -1}}),
    ]
    fields = ["network.layers[0].activation", "network.layers[0].activation"]
    fields.append("training.optimizer.learning_rate")
    for (network, training), field in zip(cases, fields, strict=True):
        body = {"dataset_id": "x", "network": network, "training": training}
        r = app_client.post("/v1/jobs", json=body)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.json()
    r = app_client.post(
        "/v1/jobs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    assert "character" in r.json()["detail"]
