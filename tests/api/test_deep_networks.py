"""Convolutional and recurrent networks trained over HTTP (embedded app), predicted
through POST /v1/models/{id}/predict, and shape errors refused with a 422 before queueing."""

from __future__ import annotations

import io

import numpy as np
import pytest
from support import wait_for_job


def npz_bytes(X: np.ndarray, y: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, X=X, y=y)
    return buf.getvalue()


def upload_npz(client, X: np.ndarray, y: np.ndarray) -> dict:
    r = client.post("/v1/datasets", files={"file": ("d.npz", npz_bytes(X, y))})
    assert r.status_code == 201, r.text
    return r.json()


def train(client, dataset_id: str, network: dict, training: dict) -> dict:
    r = client.post(
        "/v1/jobs", json={"dataset_id": dataset_id, "network": network, "training": training}
    )
    assert r.status_code == 202, r.text
    done = wait_for_job(client, r.json()["id"], timeout=120)
    assert done["status"] == "succeeded", done
    return done


def predict_accuracy(client, model_id: str, X: np.ndarray, y: np.ndarray) -> float:
    r = client.post(
        f"/v1/models/{model_id}/predict", json={"instances": X.reshape(len(X), -1).tolist()}
    )
    assert r.status_code == 200, r.text
    return float(np.mean(np.asarray(r.json()["predictions"]) == y))


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 8, 8, 1).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


CNN = {
    "layers": [
        {
            "type": "conv2d",
            "filters": 16,
            "kernel_size": 3,
            "padding": "same",
            "activation": "relu",
        },
        {"type": "batchnorm"},
        {"type": "maxpool2d", "pool_size": 2},
        {
            "type": "conv2d",
            "filters": 32,
            "kernel_size": 3,
            "padding": "same",
            "activation": "relu",
        },
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.2},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ]
}


def test_cnn_reaches_97_percent_on_digits(app_client, digits):
    X_tr, X_te, y_tr, y_te = digits
    ds = upload_npz(app_client, X_tr, y_tr)
    assert ds["input_shape"] == [8, 8, 1]
    training = {
        "optimizer": {"type": "adamw", "learning_rate": 0.005, "weight_decay": 0.01},
        "lr_schedule": {"type": "cosine", "warmup_epochs": 1},
        "gradient_clip_norm": 5.0,
        "epochs": 12,
        "batch_size": 32,
        "validation_split": 0.1,
        "early_stopping": {"patience": 4},
    }
    job = train(app_client, ds["id"], CNN, training)
    model = app_client.get(f"/v1/models/{job['model_id']}").json()
    assert [(s["type"], s["output_shape"], s["params"]) for s in model["layers"]] == [
        ("conv2d", [8, 8, 16], 160),
        ("batchnorm", [8, 8, 16], 32),
        ("maxpool2d", [4, 4, 16], 0),
        ("conv2d", [4, 4, 32], 4640),
        ("maxpool2d", [2, 2, 32], 0),
        ("flatten", [128], 0),
        ("dropout", [128], 0),
        ("dense", [10], 1290),
    ]
    assert predict_accuracy(app_client, job["model_id"], X_te, y_te) >= 0.97


def running_sum_crosses(n: int, steps: int = 16, threshold: int = 3, seed: int = 0):
    """±1 steps; label: did the running sum ever reach ``threshold``? The answer depends on
    the whole history (the final sum alone does not tell), so a model must remember."""
    rng = np.random.default_rng(seed)
    s = rng.choice([-1.0, 1.0], size=(n, steps)).astype(np.float32)
    y = (np.cumsum(s, axis=1) >= threshold).any(axis=1).astype(np.int64)
    return s[:, :, None], y


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_recurrent_learns_running_sum_threshold(app_client, kind):
    X, y = running_sum_crosses(1800)
    X_tr, y_tr, X_te, y_te = X[:1400], y[:1400], X[1400:], y[1400:]
    ds = upload_npz(app_client, X_tr, y_tr)
    network = {
        "layers": [
            {"type": kind, "units": 16, "return_sequences": True},
            {"type": kind, "units": 16},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    }
    training = {
        "optimizer": {"type": "adam", "learning_rate": 0.01},
        "lr_schedule": {"type": "reduce_on_plateau", "patience": 2, "factor": 0.5},
        "epochs": 8,
        "batch_size": 32,
        "validation_split": 0.1,
    }
    job = train(app_client, ds["id"], network, training)
    model = app_client.get(f"/v1/models/{job['model_id']}").json()
    assert [s["output_shape"] for s in model["layers"]] == [[16, 16], [16], [2]]
    assert predict_accuracy(app_client, job["model_id"], X_te, y_te) >= 0.95
    # the majority answer is far below that
    assert max(y_te.mean(), 1 - y_te.mean()) < 0.6


def test_shape_mismatch_is_a_422_naming_the_layer(app_client):
    rng = np.random.default_rng(0)
    flat = upload_npz(app_client, rng.normal(size=(40, 64)).astype(np.float32), np.arange(40) % 2)
    network = {
        "layers": [
            {"type": "dense", "units": 64, "activation": "relu"},
            {"type": "dropout", "rate": 0.1},
            {"type": "lstm", "units": 8},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    }
    r = app_client.post("/v1/jobs", json={"dataset_id": flat["id"], "network": network})
    assert r.status_code == 422
    assert r.json()["detail"] == "layer 2 (lstm): expects input (timesteps, features), got (64,)"
    assert r.json()["errors"][0]["field"] == "network.layers[2]"

    images = upload_npz(
        app_client, rng.normal(size=(40, 6, 6, 1)).astype(np.float32), np.arange(40) % 2
    )
    no_flatten = {
        "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3, "activation": "softmax"}]
    }
    r = app_client.post("/v1/jobs", json={"dataset_id": images["id"], "network": no_flatten})
    assert r.status_code == 422 and "add a flatten layer" in r.json()["detail"]
    big_kernel = {
        "layers": [
            {"type": "conv2d", "filters": 2, "kernel_size": 7},
            {"type": "flatten"},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    }
    r = app_client.post("/v1/jobs", json={"dataset_id": images["id"], "network": big_kernel})
    assert r.status_code == 422
    assert r.json()["detail"].startswith(
        "layer 0 (conv2d): kernel 7x7 does not fit input (6, 6, 1)"
    )
    assert app_client.get("/v1/jobs").json()["total"] == 0


def test_openapi_shows_new_options_with_examples(app_client):
    schemas = app_client.get("/openapi.json").json()["components"]["schemas"]
    for name in (
        "Conv2DLayer",
        "LSTMLayer",
        "GRULayer",
        "BatchNormLayer",
        "AdamWSpec",
        "CosineScheduleSpec",
        "RegularizationSpec",
        "HuberLossSpec",
        "TrainingSpec",
    ):
        assert schemas[name].get("examples"), name
    assert "gradient_clip_norm" in schemas["TrainingSpec"]["properties"]
