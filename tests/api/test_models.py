"""Trained models: metadata, weights download, predictions with original labels and units."""

from __future__ import annotations

import io

import numpy as np
from support import WINE_NETWORK, WINE_TRAINING, csv_bytes, wait_for_job, wine_csv, wine_split


def train(client, data: bytes, target: str, network: dict, training: dict) -> dict:
    ds = client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": target})
    assert ds.status_code == 201, ds.text
    body = {"dataset_id": ds.json()["id"], "network": network, "training": training}
    job = client.post("/v1/jobs", json=body)
    assert job.status_code == 202, job.text
    done = wait_for_job(client, job.json()["id"])
    assert done["status"] == "succeeded", done
    return client.get(f"/v1/models/{done['model_id']}").json()


def test_classifier_predicts_original_labels(app_client, other_client):
    names, X_tr, X_te, y_tr, y_te, labels = wine_split()
    model = train(app_client, wine_csv(names, X_tr, y_tr), "cultivar", WINE_NETWORK, WINE_TRAINING)
    assert model["classes"] == sorted(labels)
    assert [layer["output_shape"] for layer in model["layers"]] == [[32], [3]]
    assert model["num_params"] == 13 * 32 + 32 + 32 * 3 + 3
    assert model["input_schema"]["feature_names"] == names
    r = app_client.post(f"/v1/models/{model['id']}/predict", json={"instances": X_te.tolist()})
    assert r.status_code == 200, r.text
    out = r.json()
    assert len(out["predictions"]) == len(X_te)
    assert set(out["predictions"]) <= set(labels)
    assert np.allclose(np.sum(out["probabilities"], axis=1), 1.0, atol=1e-4)
    accuracy = np.mean(np.array(out["predictions"]) == y_te)
    assert accuracy >= 0.9, accuracy
    # other tenants get 404 on every model route
    assert other_client.get(f"/v1/models/{model['id']}").status_code == 404
    assert (
        other_client.post(
            f"/v1/models/{model['id']}/predict", json={"instances": X_te[:1].tolist()}
        ).status_code
        == 404
    )
    assert other_client.get(f"/v1/models/{model['id']}/weights").status_code == 404


def test_predict_input_errors(app_client):
    names, X_tr, _, y_tr, _, _ = wine_split()
    training = {**WINE_TRAINING, "epochs": 2}
    model = train(app_client, wine_csv(names, X_tr, y_tr), "cultivar", WINE_NETWORK, training)
    url = f"/v1/models/{model['id']}/predict"
    r = app_client.post(url, json={"instances": [[1.0, 2.0]]})
    assert r.status_code == 422 and "expected 13 features, got 2" in r.json()["detail"]
    row = X_tr[0].tolist()
    row[3] = "abc"
    r = app_client.post(url, json={"instances": [row]})
    assert r.status_code == 422 and "instances[0][3]" in r.json()["detail"]
    assert app_client.post(url, json={"instances": []}).status_code == 422
    assert app_client.post(url, json={"rows": [X_tr[0].tolist()]}).status_code == 422


def test_regression_predicts_in_original_units(app_client):
    rng = np.random.default_rng(1)
    X = rng.uniform(-3, 3, size=(400, 2))
    y = 1000.0 + 250.0 * X[:, 0] - 120.0 * X[:, 1]
    rows = [[*x, t] for x, t in zip(X.tolist(), y.tolist(), strict=True)]
    network = {
        "layers": [
            {"type": "dense", "units": 16, "activation": "tanh"},
            {"type": "dense", "units": 1},
        ]
    }
    training = {
        "loss": "mse",
        "optimizer": {"type": "adam", "learning_rate": 0.01},
        "epochs": 80,
        "batch_size": 32,
        "seed": 3,
    }
    model = train(app_client, csv_bytes(["a", "b", "price"], rows), "price", network, training)
    assert model["task"] == "regression" and "val_r2" in model["metrics"]
    test = np.array([[0.5, -1.0], [2.0, 2.0]])
    r = app_client.post(f"/v1/models/{model['id']}/predict", json={"instances": test.tolist()})
    expected = 1000.0 + 250.0 * test[:, 0] - 120.0 * test[:, 1]
    assert "probabilities" not in r.json()
    assert np.allclose(r.json()["predictions"], expected, rtol=0.05), r.json()
    # MAE is reported in the target's units (price), not the scaled units trained on
    r = app_client.post(f"/v1/models/{model['id']}/predict", json={"instances": X.tolist()})
    mae = float(np.mean(np.abs(np.array(r.json()["predictions"]) - y)))
    assert 0.5 * mae <= model["metrics"]["val_mae"] <= 2.0 * mae, (mae, model["metrics"])
    assert 0.5 * mae <= model["metrics"]["mae"] <= 2.0 * mae


def test_weights_download_and_delete(app_client):
    rows = [[i, (i * 7) % 3 / 3, i % 2] for i in range(40)]
    network = {
        "layers": [
            {"type": "dense", "units": 4, "activation": "relu"},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    }
    model = train(app_client, csv_bytes(["a", "b", "t"], rows), "t", network, {"epochs": 2})
    r = app_client.get(f"/v1/models/{model['id']}/weights")
    assert r.status_code == 200
    with np.load(io.BytesIO(r.content), allow_pickle=False) as npz:
        assert npz["layers.0.W"].shape == (2, 4) and npz["layers.1.b"].shape == (2,)
    assert app_client.get("/v1/models").json()["total"] == 1
    assert app_client.delete(f"/v1/models/{model['id']}").status_code == 204
    assert app_client.get(f"/v1/models/{model['id']}").status_code == 404
    assert (
        app_client.post(
            f"/v1/models/{model['id']}/predict", json={"instances": [[1, 2]]}
        ).status_code
        == 404
    )


def test_a_model_deleted_through_another_process_stops_answering(app_client):
    """Each API process caches models; a cached one is re-confirmed in the database after
    BACKPROP_MODEL_CACHE_CHECK_SECONDS, so another process's delete reaches it."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app

    rows = [[i, (i * 7) % 3 / 3, i % 2] for i in range(40)]
    network = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}
    model = train(app_client, csv_bytes(["a", "b", "t"], rows), "t", network, {"epochs": 2})
    url = f"/v1/models/{model['id']}/predict"
    body = {"instances": [[1.0, 0.5]]}
    settings = app_client.app_settings
    settings.model_cache_check_seconds = 3600.0
    assert app_client.post(url, json=body).status_code == 200
    assert app_client.app.state.model_cache.get(model["id"]) is not None  # cached
    headers = dict(app_client.headers)
    with TestClient(create_app(settings, embedded_worker=False), headers=headers) as other:
        assert other.delete(f"/v1/models/{model['id']}").status_code == 204
    assert app_client.post(url, json=body).status_code == 200  # within the check interval
    settings.model_cache_check_seconds = 0.0
    r = app_client.post(url, json=body)
    assert r.status_code == 404, r.text
    assert app_client.app.state.model_cache.get(model["id"]) is None
