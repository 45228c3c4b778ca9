"""Configurable resource limits refuse work before anything is stored or queued."""

from __future__ import annotations

import json

from support import csv_bytes

NETWORK = {
    "layers": [
        {"type": "dense", "units": 64, "activation": "relu"},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
}


def dataset(client) -> str:
    data = csv_bytes(["a", "b", "t"], [[i, i % 7, i % 2] for i in range(50)])
    r = client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_job_limits(app_client):
    settings = app_client.app_settings
    ds = dataset(app_client)
    settings.max_params = 100
    r = app_client.post("/v1/jobs", json={"dataset_id": ds, "network": NETWORK})
    assert r.status_code == 422 and "322 parameters; the limit is 100" in r.json()["detail"]
    settings.max_params = 10**6
    settings.max_units = 32
    r = app_client.post("/v1/jobs", json={"dataset_id": ds, "network": NETWORK})
    assert r.status_code == 422 and "network.layers[0].units" in r.json()["detail"]
    settings.max_units = 1024
    settings.max_epoch_rows = 1000
    r = app_client.post(
        "/v1/jobs", json={"dataset_id": ds, "network": NETWORK, "training": {"epochs": 100}}
    )
    assert r.status_code == 422 and "epochs" in r.json()["detail"]
    settings.max_epoch_rows = 10**9
    settings.max_batch_size = 16
    r = app_client.post(
        "/v1/jobs", json={"dataset_id": ds, "network": NETWORK, "training": {"batch_size": 32}}
    )
    assert r.status_code == 422 and "batch_size" in r.json()["detail"]
    settings.max_layers = 1
    r = app_client.post("/v1/jobs", json={"dataset_id": ds, "network": NETWORK})
    assert r.status_code == 422 and "2 layers" in r.json()["detail"]
    assert app_client.get("/v1/jobs").json()["total"] == 0


def test_concurrent_jobs_per_tenant(app_client, other_client):
    settings = app_client.app_settings
    ds = dataset(app_client)
    settings.max_concurrent_jobs = 1
    slow = {"dataset_id": ds, "network": NETWORK, "training": {"epochs": 100000}}
    first = app_client.post("/v1/jobs", json=slow)
    assert first.status_code == 202
    r = app_client.post("/v1/jobs", json=slow)
    assert r.status_code == 429 and r.headers["retry-after"] == "10"
    # another tenant is not held back by this one
    other = dataset(other_client)
    second = other_client.post("/v1/jobs", json={**slow, "dataset_id": other})
    assert second.status_code == 202
    app_client.post(f"/v1/jobs/{first.json()['id']}/cancel")
    other_client.post(f"/v1/jobs/{second.json()['id']}/cancel")


def test_dataset_size_limits(app_client):
    settings = app_client.app_settings
    settings.max_dataset_rows = 10
    data = csv_bytes(["a", "t"], [[i, i % 2] for i in range(11)])
    r = app_client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    assert r.status_code == 422 and "11 rows; the limit is 10" in r.json()["detail"]
    settings.max_dataset_rows = 1000
    settings.max_dataset_columns = 1
    data = csv_bytes(["a", "b", "t"], [[i, i, i % 2] for i in range(11)])
    r = app_client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    assert r.status_code == 422 and "2 features per row" in r.json()["detail"]


def test_runtime_above_the_server_limit_is_refused(app_client):
    settings = app_client.app_settings
    ds = dataset(app_client)
    body = {"dataset_id": ds, "network": NETWORK, "max_runtime_seconds": 1e308}
    r = app_client.post("/v1/jobs", json=body)
    assert r.status_code == 422 and "above the server's limit" in r.json()["detail"]
    body["max_runtime_seconds"] = settings.max_runtime_seconds
    assert app_client.post("/v1/jobs", json=body).status_code == 202


def test_specs_are_not_coerced_and_numbers_must_be_finite(app_client):
    """true/2.0 are not integers and Infinity is not a number: 422 naming the field, before
    anything is queued (lax parsing would queue a job the engine then refuses)."""
    ds = dataset(app_client)
    dense = {"type": "dense", "units": 2, "activation": "softmax"}
    cases = [
        ({"layers": [{**dense, "units": True}]}, {}, "units"),
        ({"layers": [{**dense, "units": 2.0}]}, {}, "units"),
        (NETWORK, {"epochs": True}, "epochs"),
        (NETWORK, {"batch_size": "8"}, "batch_size"),
        (NETWORK, {"early_stopping": {"patience": 1, "min_delta": float("inf")}}, "min_delta"),
        (NETWORK, {"optimizer": {"type": "adam", "learning_rate": float("nan")}}, "learning_rate"),
    ]
    for network, training, field in cases:
        body = {"dataset_id": ds, "network": network, "training": training}
        content = json.dumps(body)  # allows Infinity/NaN, as a careless client would send
        r = app_client.post(
            "/v1/jobs", content=content, headers={"content-type": "application/json"}
        )
        assert r.status_code == 422, (field, r.text)
        assert field in r.json()["detail"], (field, r.json())
    assert app_client.get("/v1/jobs").json()["total"] == 0
