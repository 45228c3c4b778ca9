"""Convolutional and recurrent networks trained over HTTP (embedded app), predicted
through POST /v1/models/{id}/predict, and shape errors refused with a 422 before queueing."""

from __future__ import annotations

import io

import numpy as np
import pytest
from network_cases import PLAN_CASES
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


THRESHOLD = 3


def hidden_crossings(n: int, steps: int = 16, seed: int = 0):
    """n (even) walks of ±1 steps that all END below ``THRESHOLD``; label: did the running
    sum ever reach it? Rows come in pairs, one of each label, with the same final sum and
    the same last step, so those two tell nothing: only a model that remembers the history
    can answer."""
    rng = np.random.default_rng(seed)
    s = rng.choice([-1.0, 1.0], size=(12 * n, steps)).astype(np.float32)
    c = np.cumsum(s, axis=1)
    ever = (c >= THRESHOLD).any(axis=1)
    pairs = []
    ends = np.c_[c[:, -1], s[:, -1]]
    for final, last in np.unique(ends[ends[:, 0] < THRESHOLD], axis=0):
        group = (c[:, -1] == final) & (s[:, -1] == last)
        pos, neg = np.flatnonzero(group & ever), np.flatnonzero(group & ~ever)
        m = min(len(pos), len(neg))
        pairs.append(np.stack([pos[:m], neg[:m]], axis=1))
    pairs = np.concatenate(pairs)
    assert len(pairs) >= n // 2
    rows = rng.permutation(pairs[rng.permutation(len(pairs))[: n // 2]].ravel())
    return s[rows, :, None], ever[rows].astype(np.int64)


def best_accuracy_from(features: np.ndarray, y: np.ndarray) -> float:
    """The highest accuracy ANY function of ``features`` (N, k) can reach on these rows:
    the majority label of each group of equal feature rows."""
    _, group = np.unique(features, axis=0, return_inverse=True)
    ones = np.bincount(group.ravel(), weights=y)
    return float(np.maximum(ones, np.bincount(group.ravel()) - ones).sum() / len(y))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_recurrent_learns_running_sum_threshold(app_client, kind):
    X_tr, y_tr = hidden_crossings(1400, seed=0)
    X_te, y_te = hidden_crossings(400, seed=1)
    # memory is needed: the label is not "final sum >= threshold" on half the rows, and no
    # predictor that sees only the final sum and the last step beats a coin on the test rows
    final, last = X_te[:, :, 0].sum(axis=1), X_te[:, -1, 0]
    assert np.mean(y_te != (final >= THRESHOLD)) >= 0.2
    assert best_accuracy_from(np.c_[final, last], y_te) <= 0.5
    assert best_accuracy_from(np.c_[X_tr[:, :, 0].sum(axis=1), X_tr[:, -1, 0]], y_tr) <= 0.5
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


def test_simple_rnn_learns_running_sum_threshold(app_client):
    """simple_rnn trains over HTTP on the memory task (chance and any final-sum / last-step
    predictor: 50%)."""
    X_tr, y_tr = hidden_crossings(1200, seed=2)
    X_te, y_te = hidden_crossings(400, seed=3)
    ds = upload_npz(app_client, X_tr, y_tr)
    network = {
        "layers": [
            {"type": "simple_rnn", "units": 24},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    }
    training = {
        "optimizer": {"type": "adam", "learning_rate": 0.01},
        "epochs": 10,
        "batch_size": 32,
        "validation_split": 0.1,
    }
    job = train(app_client, ds["id"], network, training)
    model = app_client.get(f"/v1/models/{job['model_id']}").json()
    assert [(s["type"], s["output_shape"]) for s in model["layers"]] == [
        ("simple_rnn", [24]),
        ("dense", [2]),
    ]
    assert predict_accuracy(app_client, job["model_id"], X_te, y_te) >= 0.9


def test_avgpool_cnn_learns_digits(app_client, digits):
    """conv2d + avgpool2d trains over HTTP (10 balanced classes: chance 10%)."""
    X_tr, X_te, y_tr, y_te = digits
    ds = upload_npz(app_client, X_tr, y_tr)
    network = {
        "layers": [
            {
                "type": "conv2d",
                "filters": 8,
                "kernel_size": 3,
                "padding": "same",
                "activation": "relu",
            },
            {"type": "avgpool2d", "pool_size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 10, "activation": "softmax"},
        ]
    }
    training = {
        "optimizer": {"type": "adam", "learning_rate": 0.01},
        "epochs": 8,
        "batch_size": 32,
        "validation_split": 0.1,
    }
    job = train(app_client, ds["id"], network, training)
    model = app_client.get(f"/v1/models/{job['model_id']}").json()
    assert model["layers"][1]["type"] == "avgpool2d"
    assert model["layers"][1]["output_shape"] == [4, 4, 8]
    assert np.bincount(y_te).max() / len(y_te) < 0.15
    assert predict_accuracy(app_client, job["model_id"], X_te, y_te) >= 0.93


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


MINIMAL_SPECS = {
    "dense": {"units": 2},
    "conv2d": {"filters": 2, "kernel_size": 1},
    "activation": {},
    "simple_rnn": {"units": 2},
}


def test_activation_enums_match_what_the_engine_accepts(app_client):
    """Every published `activation` enum is exactly the set the engine builds (simple_rnn
    refuses softmax, so its schema must not offer it)."""
    from service.engine import ACTIVATIONS, LAYER_TYPES, SpecError
    from service.schemas.network import LAYER_MODELS

    schemas = app_client.get("/openapi.json").json()["components"]["schemas"]
    with_activation = {
        m.model_fields["type"].annotation.__args__[0]: schemas[m.__name__]["properties"]
        for m in LAYER_MODELS
        if "activation" in m.model_fields
    }
    assert set(with_activation) == set(MINIMAL_SPECS)
    for kind, props in with_activation.items():
        accepted = set()
        for name in ACTIVATIONS:
            try:
                LAYER_TYPES[kind].from_spec(
                    {"type": kind, **MINIMAL_SPECS[kind], "activation": name}
                )
                accepted.add(name)
            except SpecError:
                pass
        assert set(props["activation"]["enum"]) == accepted, kind
    assert "softmax" not in with_activation["simple_rnn"]["activation"]["enum"]
    network = {"layers": [{"type": "simple_rnn", "units": 2, "activation": "softmax"}]}
    r = app_client.post("/v1/jobs", json={"dataset_id": "ds_missing", "network": network})
    assert r.status_code == 422 and "network.layers[0]" in r.text


@pytest.mark.parametrize("layers,input_shape", [(layers, shape) for layers, shape, _ in PLAN_CASES])
def test_param_estimate_matches_built_network(layers, input_shape):
    """The job plan's count (on the validated, dumped spec, as the jobs router sees it)
    equals the engine's count for non-square pools, use_bias false and every layer kind."""
    from service.engine import build_network
    from service.jobs.plan import plan_layers
    from service.schemas.network import NetworkSpec

    dumped = NetworkSpec.model_validate({"layers": layers}).model_dump()["layers"]
    expected = build_network(layers, input_shape).num_params
    assert plan_layers(dumped, tuple(input_shape)).n_params == expected
    assert plan_layers(layers, tuple(input_shape)).n_params == expected
