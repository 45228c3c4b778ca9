"""GET /v1/models/{id}/export?format=onnx on networks trained over HTTP: the file loads in
onnxruntime and agrees with POST /v1/models/{id}/predict, labels and probabilities."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx_support import assert_agrees, run_onnx
from support import wait_for_job

WINE = Path(__file__).resolve().parents[2] / "examples" / "wine.csv"
QUICK = {"optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 3, "batch_size": 16}


def upload_npz(client, X: np.ndarray, y: np.ndarray) -> str:
    buf = io.BytesIO()
    np.savez(buf, X=X, y=y)
    r = client.post("/v1/datasets", files={"file": ("d.npz", buf.getvalue())})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def train(client, dataset_id: str, layers: list[dict], **training: Any) -> str:
    body = {"dataset_id": dataset_id, "network": {"layers": layers}, "training": training}
    r = client.post("/v1/jobs", json=body)
    assert r.status_code == 202, r.text
    done = wait_for_job(client, r.json()["id"])
    assert done["status"] == "succeeded", done
    return done["model_id"]


def export(client, model_id: str) -> bytes:
    r = client.get(f"/v1/models/{model_id}/export", params={"format": "onnx"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == f'attachment; filename="model-{model_id}.onnx"'
    return r.content


def agree(client, model_id: str, X: np.ndarray) -> dict[str, np.ndarray]:
    """Export, run X through onnxruntime, and check it against predict on the same rows."""
    out = run_onnx(export(client, model_id), X)
    r = client.post(f"/v1/models/{model_id}/predict", json={"instances": X.tolist()})
    assert r.status_code == 200, r.text
    assert_agrees(r.json(), out)
    return out


def wine_features() -> tuple[list[str], np.ndarray, list[str]]:
    """The example CSV's feature names, features (float32) and string labels."""
    rows = list(csv.reader(WINE.read_text().splitlines()))
    label = rows[0].index("cultivar")
    names = [n for i, n in enumerate(rows[0]) if i != label]
    X = np.array([[float(v) for i, v in enumerate(r) if i != label] for r in rows[1:]])
    return names, X.astype(np.float32), [r[label] for r in rows[1:]]


def test_mlp_with_string_labels(app_client):
    r = app_client.post(
        "/v1/datasets", files={"file": ("wine.csv", WINE.read_bytes())}, data={"target": "cultivar"}
    )
    dataset = r.json()
    job = json.loads((WINE.parent / "wine-job.json").read_text())
    model_id = train(app_client, dataset["id"], job["network"]["layers"], **job["training"])
    names, X, labels = wine_features()
    out = agree(app_client, model_id, X)
    assert out["predictions"].dtype == object  # the label strings themselves
    assert np.mean(out["predictions"] == np.array(labels)) > 0.9
    props = {
        p.key: p.value for p in onnx.load_from_string(export(app_client, model_id)).metadata_props
    }
    assert props["model_id"] == model_id and props["dataset_id"] == dataset["id"]
    assert json.loads(props["feature_names"]) == names == dataset["feature_names"]
    assert json.loads(props["classes"]) == ["barbera", "barolo", "grignolino"]
    shown = app_client.get(f"/v1/models/{model_id}").json()
    spec = json.loads(props["job_spec"])
    assert spec["network"] == shown["network"] and spec["training"] == shown["training"]
    assert [layer["units"] for layer in spec["network"]["layers"][::2]] == [32, 3]


def test_cnn_with_batchnorm_and_both_poolings(app_client):
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (96, 8, 8, 2)).astype(np.float32)
    y = (X[:, :4, :, 0].mean(axis=(1, 2)) > X[:, 4:, :, 1].mean(axis=(1, 2))).astype(np.int64)
    layers = [
        {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
        {"type": "batchnorm"},
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "conv2d", "filters": 4, "kernel_size": 2, "stride": 1, "activation": "elu"},
        {"type": "avgpool2d", "pool_size": 2, "stride": 1},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.2},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
    model_id = train(app_client, upload_npz(app_client, X, y), layers, **QUICK)
    out = agree(app_client, model_id, X[:40])
    assert out["predictions"].dtype == np.int64


def sequences(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 6, 2) sequences; label: is the running sum of feature 0 ever above 1?"""
    X = np.random.default_rng(seed).normal(0, 1, (n, 6, 2)).astype(np.float32)
    return X, (np.cumsum(X[:, :, 0], axis=1).max(axis=1) > 1).astype(np.int64)


@pytest.mark.parametrize(
    "layers",
    [
        [{"type": "lstm", "units": 6}],
        [{"type": "gru", "units": 6}],
        [{"type": "simple_rnn", "units": 6}],
        [
            {"type": "simple_rnn", "units": 4, "activation": "gelu", "return_sequences": True},
            {"type": "lstm", "units": 4, "return_sequences": True},
            {"type": "gru", "units": 4},
        ],
    ],  # fmt: skip
    ids=["lstm", "gru", "simple_rnn", "stacked"],
)
def test_recurrent_networks(app_client, layers):
    X, y = sequences(96, 0)
    output = {"type": "dense", "units": 1, "activation": "sigmoid"}
    model_id = train(
        app_client, upload_npz(app_client, X, y), [*layers, output],
        loss="binary_cross_entropy", **QUICK,
    )  # fmt: skip
    out = agree(app_client, model_id, sequences(40, 1)[0])
    assert out["probabilities"].shape == (40, 2)


def test_embedding_first_network_takes_int64_ids(app_client):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 12, (96, 7))
    y = (X == 3).any(axis=1).astype(np.int64)
    layers = [
        {"type": "embedding", "input_dim": 12, "output_dim": 4},
        {"type": "gru", "units": 5},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
    model_id = train(app_client, upload_npz(app_client, X.astype(np.float32), y), layers, **QUICK)
    agree(app_client, model_id, X[:40].astype(np.int64))


def test_regression_values_in_the_targets_units(app_client):
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (120, 3)).astype(np.float32)
    y = (500 + 40 * X[:, 0] - 25 * X[:, 1] * X[:, 2]).astype(np.float32)
    layers = [
        {"type": "dense", "units": 8, "activation": "tanh"},
        {"type": "batchnorm"},
        {"type": "dense", "units": 1},
    ]
    model_id = train(app_client, upload_npz(app_client, X, y), layers, **QUICK)
    out = agree(app_client, model_id, X[:40])
    assert set(out) == {"predictions"} and abs(float(out["predictions"].mean()) - 500) < 200


def test_unsupported_format_and_unknown_model(app_client):
    r = app_client.get("/v1/models/no-such-model/export", params={"format": "pmml"})
    assert r.status_code == 422 and "formats: onnx" in r.json()["detail"], r.text
    r = app_client.get("/v1/models/no-such-model/export")
    assert r.status_code == 404 and r.json()["detail"] == "model no-such-model not found"
