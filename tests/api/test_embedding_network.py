"""Token-id sequences through an embedding + GRU over HTTP: ids are not standardised,
and a non-integer id is refused with a readable reason."""

from __future__ import annotations

import io

import numpy as np
from support import wait_for_job

VOCAB = 20
NETWORK = {
    "layers": [
        {"type": "embedding", "input_dim": VOCAB, "output_dim": 8},
        {"type": "gru", "units": 16},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
}
TRAINING = {
    "optimizer": {"type": "adam", "learning_rate": 0.01},
    "epochs": 25,
    "batch_size": 32,
    "validation_split": 0.2,
    "seed": 0,
}


def upload(client, X: np.ndarray, y: np.ndarray) -> str:
    buf = io.BytesIO()
    np.savez(buf, X=X, y=y)
    r = client.post("/v1/datasets", files={"file": ("tokens.npz", buf.getvalue())})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def sequences(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Does token 7 occur in the sequence? (N x 12 ids; about half do.)"""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, VOCAB, size=(n, 12))
    X[X == 7] = 8
    has = rng.random(n) < 0.5
    X[has, rng.integers(0, 12, size=has.sum())] = 7
    return X.astype(np.float32), has.astype(np.int64)


def test_embedding_gru_learns_token_presence(app_client):
    X, y = sequences(1200, 0)
    ds = upload(app_client, X, y)
    job = app_client.post(
        "/v1/jobs", json={"dataset_id": ds, "network": NETWORK, "training": TRAINING}
    ).json()
    done = wait_for_job(app_client, job["id"], timeout=180)
    assert done["status"] == "succeeded", done
    model = app_client.get(f"/v1/models/{done['model_id']}").json()
    assert [layer["type"] for layer in model["layers"]] == ["embedding", "gru", "dense"]
    X_test, y_test = sequences(300, 1)
    r = app_client.post(
        f"/v1/models/{done['model_id']}/predict", json={"instances": X_test.tolist()}
    )
    assert r.status_code == 200, r.text
    accuracy = np.mean(np.array(r.json()["predictions"]) == y_test)
    assert accuracy >= 0.95, accuracy


def test_non_integer_token_ids_are_refused(app_client):
    X, y = sequences(100, 2)
    X[5, 3] = 2.5
    ds = upload(app_client, X, y)
    body = {"dataset_id": ds, "network": NETWORK, "training": {**TRAINING, "epochs": 1}}
    r = app_client.post("/v1/jobs", json=body)
    assert r.status_code == 422, r.text
    assert "layer 0 (embedding)" in r.json()["detail"] and "non-integer" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "network.layers[0]"

    # a dataset stored before value ranges were recorded is checked when the job runs
    from sqlalchemy import update

    from service.db.models import Dataset
    from service.db.session import session_scope

    with session_scope(app_client.app_settings.sqlalchemy_url) as session:
        session.execute(update(Dataset).where(Dataset.id == ds).values(value_range=None))
    job = app_client.post("/v1/jobs", json=body).json()
    done = wait_for_job(app_client, job["id"])
    assert done["status"] == "failed" and "X[5, 3] is 2.5" in done["error"], done
