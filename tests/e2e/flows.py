"""The user's walk through the API, shared by the end-to-end tests."""

from __future__ import annotations

import numpy as np
from support import WINE_NETWORK, WINE_TRAINING, wait_for_job, wine_csv, wine_split


def sklearn_wine_accuracy() -> float:
    """MLPClassifier with the same hidden layer on the same split, standardised the same way."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    _, X_tr, X_te, y_tr, y_te, _ = wine_split()
    clf = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=2000, random_state=0)
    )
    clf.fit(X_tr, y_tr)
    return float(clf.score(X_te, y_te))


def train_and_predict_wine(client) -> tuple[dict, float]:  # noqa: ANN001
    """Upload wine as CSV (string labels, label column in the middle), train, poll, predict.

    Returns the finished job and the test accuracy of the served predictions.
    """
    names, X_tr, X_te, y_tr, y_te, _ = wine_split()
    r = client.post(
        "/v1/datasets",
        files={"file": ("wine.csv", wine_csv(names, X_tr, y_tr), "text/csv")},
        data={"target": "cultivar", "name": "wine"},
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/v1/jobs",
        json={"dataset_id": r.json()["id"], "network": WINE_NETWORK, "training": WINE_TRAINING},
    )
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["id"], timeout=180)
    assert job["status"] == "succeeded", job
    history = client.get(f"/v1/jobs/{job['id']}/history").json()["epochs"]
    assert [h["epoch"] for h in history] == list(range(1, WINE_TRAINING["epochs"] + 1))
    r = client.post(f"/v1/models/{job['model_id']}/predict", json={"instances": X_te.tolist()})
    assert r.status_code == 200, r.text
    accuracy = float(np.mean(np.array(r.json()["predictions"]) == y_te))
    return job, accuracy
