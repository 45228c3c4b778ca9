"""Predict over real HTTP: a 4xx keeps the connection, big work leaves /healthz answering,
binary bodies (.npy, .npz) answer like JSON, and the answer size has its own 413."""

from __future__ import annotations

import io
import json
import threading
import time

import httpx
import numpy as np
from conftest import make_key
from live_api import live_app, store_model

from service.api.app import create_app

IDENTITY = {"layers.0.W": np.ones((1, 1), np.float32), "layers.0.b": np.zeros(1, np.float32)}
SOFTMAX = [{"type": "dense", "units": 3, "activation": "softmax"}]


def local_port(response: httpx.Response) -> int:
    return response.extensions["network_stream"].get_extra_info("socket").getsockname()[1]


def test_a_prediction_json_cannot_hold_is_a_422_and_the_connection_lives_on(migrated):
    key = make_key(migrated, "alice")
    model = store_model(
        migrated,
        "alice",
        [{"type": "dense", "units": 1}],
        (1,),
        task="regression",
        target_scaler={"mean": [1e36], "std": [1e36]},
        weights=IDENTITY,
    )
    with live_app(create_app(migrated)) as url:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
            ok = client.post(f"/v1/models/{model}/predict", json={"instances": [[10]]})
            assert ok.status_code == 200 and ok.json()["predictions"][0] > 1e37
            bad = client.post(f"/v1/models/{model}/predict", json={"instances": [[1], [1000]]})
            assert bad.status_code == 422, bad.text
            assert bad.json()["detail"].startswith("instances[1]: the predicted value 1.001e+39")
            assert bad.json()["errors"][0]["row"] == 1
            after = client.get("/healthz")
            assert after.status_code == 200
            assert local_port(after) == local_port(ok)  # the same keep-alive connection


def test_healthz_answers_while_a_big_predict_runs(migrated):
    key = make_key(migrated, "alice")
    model = store_model(migrated, "alice", SOFTMAX, (2,), classes=["a", "b", "c"])
    app = create_app(migrated)
    started, release = threading.Event(), threading.Event()
    results: list[httpx.Response] = []
    headers = {"Authorization": f"Bearer {key}"}
    with live_app(app) as url:
        with httpx.Client(base_url=url, headers=headers) as client:
            assert client.post(f"/v1/models/{model}/predict", json={"instances": [[1, 2]]})
        loaded = app.state.model_cache.get(model)
        forward = loaded.network.predict

        def held_forward(x: np.ndarray) -> np.ndarray:
            started.set()
            release.wait(timeout=60)
            return forward(x)

        loaded.network.predict = held_forward
        rows = {"instances": [[0.5, 1.5]] * 5000}  # a body too big for the event loop

        def big_predict() -> None:
            with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
                results.append(client.post(f"/v1/models/{model}/predict", json=rows))

        thread = threading.Thread(target=big_predict)
        thread.start()
        deadline = time.monotonic() + 60
        while not started.is_set():
            assert time.monotonic() < deadline, "the big predict never reached the network"
            time.sleep(0.01)
        try:  # the forward pass is held: with it on the event loop this would time out
            health = httpx.get(f"{url}/healthz", timeout=20)
            assert health.status_code == 200
        finally:
            release.set()
            thread.join(timeout=60)
    assert results[0].status_code == 200 and len(results[0].json()["predictions"]) == 5000


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_npy_and_npz_bodies_answer_like_json(app_client):
    settings = app_client.app_settings
    model = store_model(settings, "alice", SOFTMAX, (2,), classes=["a", "b", "c"])
    url = f"/v1/models/{model}/predict"
    X = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
    as_json = app_client.post(url, json={"instances": X.tolist()}).json()
    for body, media in (
        (npy(X), "application/x-npy"),
        (npy(X.astype(np.float64)), "application/x-npy"),
        (npz(X=X), "application/x-npz"),
        (npz(X=X), "application/octet-stream"),
        (npy(np.asfortranarray(X)), "application/octet-stream"),
    ):
        r = app_client.post(url, content=body, headers={"content-type": media})
        assert r.status_code == 200, r.text
        assert json.loads(r.content) == as_json
    bad = X.copy()
    bad[7, 1] = np.inf
    r = app_client.post(url, content=npy(bad), headers={"content-type": "application/x-npy"})
    assert r.status_code == 422 and r.json()["detail"].startswith("instances[7][1]: inf")
    r = app_client.post(url, content=npy(X[:, :1]), headers={"content-type": "application/x-npy"})
    assert r.status_code == 422 and "shape (rows, 2)" in r.json()["detail"]
    r = app_client.post(url, content=npz(Y=X), headers={"content-type": "application/x-npz"})
    assert r.status_code == 422 and "no member X" in r.json()["detail"]
    r = app_client.post(url, content=b"1,2\n", headers={"content-type": "text/csv"})
    assert r.status_code == 415


def test_a_binary_body_is_size_limited_like_every_body(app_client):
    settings = app_client.app_settings
    model = store_model(settings, "alice", SOFTMAX, (2,), classes=["a", "b", "c"])
    settings.max_request_bytes = 1000
    body = npy(np.zeros((200, 2), np.float32))
    r = app_client.post(
        f"/v1/models/{model}/predict", content=body, headers={"content-type": "application/x-npy"}
    )
    assert r.status_code == 413 and "1000 bytes" in r.json()["detail"]


def test_an_answer_over_the_size_limit_is_a_413_naming_the_setting(app_client):
    settings = app_client.app_settings
    model = store_model(settings, "alice", SOFTMAX, (2,), classes=["a", "b", "c"])
    settings.max_predict_values = 400  # 100 rows x (3 probabilities + a label)
    url = f"/v1/models/{model}/predict"
    assert app_client.post(url, json={"instances": [[1, 2]] * 100}).status_code == 200
    r = app_client.post(url, json={"instances": [[1, 2]] * 101})
    assert r.status_code == 413, r.text
    assert "BACKPROP_MAX_PREDICT_VALUES" in r.json()["detail"]


def test_a_body_of_unknown_length_arrives_whole(migrated):
    key = make_key(migrated, "alice")
    model = store_model(migrated, "alice", SOFTMAX, (2,), classes=["a", "b", "c"])
    X = np.random.default_rng(0).normal(size=(10_000, 8)).astype(np.float32)[:, :2]
    X = np.ascontiguousarray(X)
    url_path = f"/v1/models/{model}/predict"

    def pieces(data: bytes):  # no Content-Length: chunked transfer encoding
        for at in range(0, len(data), 50_000):
            yield data[at : at + 50_000]

    with live_app(create_app(migrated)) as url:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
            for body, media in (
                (npy(X), "application/x-npy"),
                (json.dumps({"instances": X.tolist()}).encode(), "application/json"),
            ):
                declared = client.post(url_path, content=body, headers={"content-type": media})
                chunked = client.post(
                    url_path, content=pieces(body), headers={"content-type": media}
                )
                assert declared.status_code == chunked.status_code == 200, chunked.text
                assert chunked.json() == declared.json()
                assert len(chunked.json()["predictions"]) == len(X)
            migrated.max_request_bytes = 50_000
            too_big = client.post(
                url_path, content=pieces(npy(X)), headers={"content-type": "application/x-npy"}
            )
            assert too_big.status_code == 413 and "50000 bytes" in too_big.json()["detail"]
