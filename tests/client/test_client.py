"""service.client.BackpropClient: every route, problem details, SSE parsing and resuming."""

from __future__ import annotations

import io
import json

import httpx
import numpy as np
import pytest
from support import WINE_NETWORK, wine_csv, wine_split

from service import client as client_module
from service.client import (
    BackpropClient,
    BackpropError,
    ConfigError,
    EventStreamError,
    parse_sse,
    resolve_key,
)


def make_client(app_client) -> BackpropClient:  # noqa: ANN001
    key = app_client.headers["Authorization"].split()[1]
    return BackpropClient("http://testserver", key, http=app_client)


def test_every_route_through_the_client(app_client, tmp_path):
    bp = make_client(app_client)
    names, X, X_te, y, _, labels = wine_split()
    csv_file = tmp_path / "wine.csv"
    csv_file.write_bytes(wine_csv(names, X, y))
    dataset = bp.upload_dataset(csv_file, target="cultivar", name="wine")
    assert dataset["name"] == "wine" and dataset["classes"] == sorted(labels)
    json_file = tmp_path / "xor.json"
    json_file.write_text(json.dumps({"X": [[0, 0], [0, 1], [1, 0], [1, 1]], "y": [0, 1, 1, 0]}))
    xor = bp.upload_dataset(json_file, task="classification")
    assert bp.get_dataset(xor["id"])["rows"] == 4
    assert bp.list_datasets()["total"] == 2
    bp.delete_dataset(xor["id"])
    assert bp.list_datasets(limit=1)["total"] == 1

    training = {"epochs": 8, "batch_size": 16, "validation_split": 0.2, "seed": 0}
    job = bp.submit_job(
        {"dataset_id": dataset["id"], "network": WINE_NETWORK, "training": training}
    )
    events = list(bp.iter_events(job["id"]))
    assert events[0].event == "status" and events[-1].event == "end"
    assert [e.data["epoch"] for e in events if e.event == "epoch"] == list(range(1, 9))
    resumed = [
        e.data["epoch"] for e in bp.iter_events(job["id"], last_event_id=6) if e.event == "epoch"
    ]
    assert resumed == [7, 8]
    done = bp.wait(job["id"], timeout=60)
    assert done["status"] == "succeeded"
    assert len(bp.history(job["id"])["epochs"]) == 8
    assert bp.list_jobs(status="succeeded")["items"][0]["id"] == job["id"]
    assert bp.get_job(job["id"])["model_id"] == done["model_id"]

    model_id = done["model_id"]
    assert bp.get_model(model_id)["num_params"] > 0
    assert bp.list_models()["items"][0]["id"] == model_id
    out = bp.predict(model_id, X_te[:3].tolist())
    assert len(out["predictions"]) == 3 and set(out["predictions"]) <= set(labels)
    assert bp.predict_array(model_id, X_te[:3]) == out  # the same rows as an .npy body
    path = tmp_path / "w.npz"
    data = bp.download_weights(model_id, path)
    assert path.read_bytes() == data
    assert np.load(io.BytesIO(data), allow_pickle=False)["layers.0.W"].shape[0] == 13
    bp.delete_model(model_id)
    with pytest.raises(BackpropError) as info:
        bp.get_model(model_id)
    assert info.value.status == 404 and info.value.detail == f"model {model_id} not found"


def test_errors_carry_the_problem_detail(app_client):
    bp = make_client(app_client)
    with pytest.raises(BackpropError) as info:
        bp.submit_job({"dataset_id": "x", "network": {"layers": []}})
    assert info.value.status == 422 and "layers" in info.value.detail
    assert info.value.errors and str(info.value) == info.value.detail
    with pytest.raises(BackpropError) as info:
        bp.cancel_job("missing")
    assert info.value.status == 404
    with pytest.raises(BackpropError) as info:
        list(bp.iter_events("missing"))
    assert info.value.status == 404


def test_parse_sse_handles_comments_multiline_and_ids():
    text = 'retry: 2000\n\n: keep-alive\n\nid: 3\nevent: epoch\ndata: {"epoch": 3}\n\n'
    text += "event: note\ndata: line one\ndata: line two\n\n"
    events = list(parse_sse(iter(text.splitlines(keepends=True))))
    assert [(e.event, e.id, e.data) for e in events] == [
        ("epoch", "3", {"epoch": 3}),
        ("note", None, "line one\nline two"),
    ]


def test_iter_events_reconnects_with_last_event_id():
    """A stream cut after epoch 2 is resumed with Last-Event-ID: 2."""
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("last-event-id"))
        if len(seen) == 1:
            body = "".join(f'id: {n}\nevent: epoch\ndata: {{"epoch": {n}}}\n\n' for n in (1, 2))
        else:
            body = 'id: 3\nevent: epoch\ndata: {"epoch": 3}\n\n'
            body += 'event: end\ndata: {"status": "succeeded"}\n\n'
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    bp = BackpropClient("http://x", "k", transport=httpx.MockTransport(handler))
    events = list(bp.iter_events("j"))
    assert [e.data.get("epoch") for e in events if e.event == "epoch"] == [1, 2, 3]
    assert seen == [None, "2"] and events[-1].event == "end"


@pytest.mark.parametrize("status", ["running", "succeeded"])
def test_a_stream_that_keeps_closing_without_end_checks_the_job(monkeypatch, status):
    """Six closes without `end`: a finished job ends the iterator, a running one raises."""
    monkeypatch.setattr(client_module.jobs.time, "sleep", lambda _: None)
    streams = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            streams.append(request)
            return httpx.Response(200, text=": keep-alive\n\n")
        return httpx.Response(200, json={"id": "j", "status": status, "model_id": "m"})

    bp = BackpropClient("http://x", "k", transport=httpx.MockTransport(handler))
    if status == "running":
        with pytest.raises(EventStreamError, match="closed 6 times .* still running"):
            list(bp.iter_events("j", reconnects=5))
    else:
        events = list(bp.iter_events("j", reconnects=5))
        assert [(e.event, e.data["status"], e.data["model_id"]) for e in events] == [
            ("end", "succeeded", "m")
        ]
    assert len(streams) == 6


def test_non_json_errors_and_key_resolution(tmp_path, monkeypatch):
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer from-file"
        return httpx.Response(502, text="bad gateway")

    monkeypatch.delenv("BACKPROP_API_KEY", raising=False)
    monkeypatch.setenv("BACKPROP_DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="no API key"):
        resolve_key()
    (tmp_path / "api-key.txt").write_text("from-file\n")
    bp = BackpropClient("http://x", transport=httpx.MockTransport(handler))
    with pytest.raises(BackpropError) as info:
        bp.list_jobs()
    assert info.value.status == 502 and info.value.detail == "bad gateway"
    monkeypatch.setenv("BACKPROP_API_KEY", "from-env")
    assert resolve_key() == "from-env" and resolve_key("given") == "given"


def test_export_model_writes_an_onnx_file_that_agrees_with_predict(app_client, tmp_path):
    from onnx_support import assert_agrees, run_onnx

    bp = make_client(app_client)
    names, X, X_te, y, _, labels = wine_split()
    csv_file = tmp_path / "wine.csv"
    csv_file.write_bytes(wine_csv(names, X, y))
    dataset = bp.upload_dataset(csv_file, target="cultivar")
    spec = {"dataset_id": dataset["id"], "network": WINE_NETWORK, "training": {"epochs": 3}}
    model_id = bp.wait(bp.submit_job(spec)["id"], timeout=60)["model_id"]
    path = tmp_path / "wine.onnx"
    data = bp.export_model(model_id, path=path)
    assert path.read_bytes() == data
    out = run_onnx(data, X_te.astype(np.float32))
    assert_agrees(bp.predict(model_id, X_te.tolist()), out)
    assert set(out["predictions"]) <= set(labels)
    with pytest.raises(BackpropError) as info:
        bp.export_model(model_id, format="pmml", path=tmp_path / "x.pmml")
    assert info.value.status == 422 and "formats: onnx" in info.value.detail
    assert not (tmp_path / "x.pmml").exists()
