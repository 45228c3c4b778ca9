"""evaluate with importance=true: each column's seeded permutation importance, a
categorical column shuffled as a whole."""

from __future__ import annotations

import numpy as np
from support import wait_for_job


def test_informative_columns_matter_and_noise_does_not(app_client):
    rng = np.random.default_rng(0)
    n = 400
    signal, noise = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], n)
    label = np.where(signal + 2.0 * (colour == "red") > 0.5, "yes", "no")
    text = "signal,noise,colour,label\n" + "".join(
        f"{s:.4f},{z:.4f},{c},{t}\n"
        for s, z, c, t in zip(signal, noise, colour, label, strict=True)
    )
    r = app_client.post(
        "/v1/datasets", files={"file": ("t.csv", text.encode())}, data={"target": "label"}
    )
    assert r.status_code == 201, r.text
    dataset_id = r.json()["id"]
    body = {
        "dataset_id": dataset_id,
        "network": {
            "layers": [
                {"type": "dense", "units": 8, "activation": "relu"},
                {"type": "dense", "units": 2, "activation": "softmax"},
            ]
        },
        "training": {
            "epochs": 40,
            "batch_size": 16,
            "seed": 0,
            "optimizer": {"type": "adam", "learning_rate": 0.03},
        },
    }
    job = wait_for_job(app_client, app_client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job
    url = f"/v1/models/{job['model_id']}/evaluate"
    r = app_client.post(url, json={"dataset_id": dataset_id, "importance": True})
    assert r.status_code == 200, r.text
    importance = r.json()["importance"]
    assert importance["metric"] == "accuracy" and importance["rows"] == n
    assert importance["baseline"] == r.json()["metrics"]["accuracy"]
    by_name = {c["column"]: c["importance"] for c in importance["columns"]}
    assert set(by_name) == {"signal", "noise", "colour"}  # one entry per column, not per level
    assert by_name["signal"] > 0.15 and by_name["colour"] > 0.1
    assert abs(by_name["noise"]) < 0.05
    assert importance["columns"][-1]["column"] == "noise"
    again = app_client.post(url, json={"dataset_id": dataset_id, "importance": True}).json()
    assert again["importance"] == importance  # seeded
    other = app_client.post(url, json={"dataset_id": dataset_id, "importance": True, "seed": 7})
    assert other.json()["importance"] != importance
    assert "importance" not in app_client.post(url, json={"dataset_id": dataset_id}).json()
