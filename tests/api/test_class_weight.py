"""training.class_weight over HTTP: "balanced" raises the minority class's recall on an
imbalanced table; a label the data set lacks or a regression task is a 422 at the field."""

from __future__ import annotations

import numpy as np
from support import wait_for_job

NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}


def imbalanced_dataset(client) -> str:
    rng = np.random.default_rng(3)
    n_major, n_minor = 760, 40
    X = np.concatenate([rng.normal(0.0, 1.0, (n_major, 2)), rng.normal(1.2, 1.0, (n_minor, 2))])
    labels = ["common"] * n_major + ["rare"] * n_minor
    text = "a,b,kind\n" + "".join(
        f"{a:.4f},{b:.4f},{k}\n" for (a, b), k in zip(X, labels, strict=True)
    )
    r = client.post(
        "/v1/datasets", files={"file": ("t.csv", text.encode())}, data={"target": "kind"}
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def rare_recall(client, dataset_id: str, class_weight) -> float:
    training = {
        "epochs": 30,
        "batch_size": 32,
        "seed": 0,
        "validation_split": 0.0,
        "optimizer": {"type": "adam", "learning_rate": 0.05},
        "class_weight": class_weight,
    }
    body = {"dataset_id": dataset_id, "network": NETWORK, "training": training}
    r = client.post("/v1/jobs", json=body)
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["id"])
    assert job["status"] == "succeeded", job
    out = client.post(f"/v1/models/{job['model_id']}/evaluate", json={"dataset_id": dataset_id})
    return out.json()["metrics"]["per_class"]["rare"]["recall"]


def test_balanced_raises_the_minority_recall(app_client):
    dataset_id = imbalanced_dataset(app_client)
    plain = rare_recall(app_client, dataset_id, None)
    balanced = rare_recall(app_client, dataset_id, "balanced")
    heavy = rare_recall(app_client, dataset_id, {"rare": 19.0})
    assert plain < 0.3 and balanced > 0.6, (plain, balanced)
    assert heavy > 0.6, heavy


def test_unknown_label_or_regression_is_a_422_at_class_weight(app_client):
    dataset_id = imbalanced_dataset(app_client)
    body = {"dataset_id": dataset_id, "network": NETWORK, "training": {"class_weight": {"nope": 2}}}
    r = app_client.post("/v1/jobs", json=body)
    assert r.status_code == 422 and "'nope'" in r.json()["detail"], r.text
    assert "class_weight" in r.text
    text = "a,y\n" + "".join(f"{i},{i * 0.37:.3f}\n" for i in range(40))
    r = app_client.post(
        "/v1/datasets", files={"file": ("r.csv", text.encode())}, data={"target": "y"}
    )
    network = {"layers": [{"type": "dense", "units": 1}]}
    body = {
        "dataset_id": r.json()["id"],
        "network": network,
        "training": {"class_weight": "balanced"},
    }
    r = app_client.post("/v1/jobs", json=body)
    assert r.status_code == 422 and "class_weight is for classification" in r.json()["detail"]
