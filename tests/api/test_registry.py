"""The registry over HTTP: versions, aliases, name@alias refs on every model route, refusals."""

from __future__ import annotations

import pytest
from support import csv_bytes, wait_for_job

NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}


def train(client, flip: bool = False) -> str:
    """A model on a tiny data set; `flip` swaps the labels, so its predictions differ."""
    rows = [[i, (i * 7) % 5, ("y" if (i % 2 == 0) != flip else "n")] for i in range(40)]
    ds = client.post(
        "/v1/datasets",
        files={"file": ("d.csv", csv_bytes(["a", "b", "t"], rows))},
        data={"target": "t"},
    )
    body = {"dataset_id": ds.json()["id"], "network": NETWORK, "training": {"epochs": 2}}
    done = wait_for_job(client, client.post("/v1/jobs", json=body).json()["id"])
    assert done["status"] == "succeeded", done
    return done["model_id"]


@pytest.fixture
def two_models(app_client) -> tuple[str, str]:
    return train(app_client), train(app_client, flip=True)


def test_register_alias_and_use_refs(app_client, two_models):
    a, b = two_models
    r = app_client.post("/v1/registry/wine/versions", json={"model_id": a})
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["model_id"] == a and r.json()["created_at"]
    assert r.headers["location"] == "/v1/registry/wine"
    assert (
        app_client.post("/v1/registry/wine/versions", json={"model_id": b}).json()["version"] == 2
    )
    r = app_client.put("/v1/registry/wine/aliases/production", json={"version": 1})
    assert r.status_code == 200 and r.json() == {
        "name": "wine",
        "alias": "production",
        "version": 1,
    }

    shown = app_client.get("/v1/registry/wine").json()
    assert [v["model_id"] for v in shown["versions"]] == [a, b]
    assert shown["aliases"] == {"production": 1} and shown["latest_version"] == 2
    page = app_client.get("/v1/registry", params={"limit": 1}).json()
    assert page["total"] == 1 and page["items"][0]["name"] == "wine"

    assert app_client.get("/v1/models/wine@production").json()["id"] == a
    assert app_client.get("/v1/models/wine@2").json()["id"] == b
    weights = app_client.get("/v1/models/wine@2/weights")
    assert (
        weights.status_code == 200
        and weights.content == app_client.get(f"/v1/models/{b}/weights").content
    )
    exported = app_client.get("/v1/models/wine@production/export?format=onnx")
    assert (
        exported.status_code == 200 and f"model-{a}.onnx" in exported.headers["content-disposition"]
    )
    dataset = app_client.get(f"/v1/models/{a}").json()["dataset_id"]
    scored = app_client.post("/v1/models/wine@production/evaluate", json={"dataset_id": dataset})
    assert scored.status_code == 200, scored.text
    rows = {"instances": [[1, 2], [2, 3]]}
    by_alias = app_client.post("/v1/models/wine@production/predict", json=rows).json()
    assert by_alias == app_client.post(f"/v1/models/{a}/predict", json=rows).json()
    model = app_client.get(f"/v1/models/{a}").json()
    assert model["registered_as"] == [{"name": "wine", "version": 1, "aliases": ["production"]}]
    listed = {m["id"]: m["registered_as"] for m in app_client.get("/v1/models").json()["items"]}
    assert listed[b] == [{"name": "wine", "version": 2, "aliases": []}]

    # the alias moves; this process follows at once
    app_client.put("/v1/registry/wine/aliases/production", json={"version": 2})
    assert app_client.get("/v1/models/wine@production").json()["id"] == b
    moved = app_client.post("/v1/models/wine@production/predict", json=rows).json()
    assert moved == app_client.post(f"/v1/models/{b}/predict", json=rows).json()


def test_refusals_say_what(app_client, two_models):
    a, b = two_models
    app_client.post("/v1/registry/wine/versions", json={"model_id": a})
    app_client.put("/v1/registry/wine/aliases/production", json={"version": 1})

    r = app_client.delete("/v1/registry/wine/versions/1")
    assert r.status_code == 409 and "alias production" in r.json()["detail"]
    r = app_client.delete(f"/v1/models/{a}")
    assert r.status_code == 409 and "version 1 of registry name wine" in r.json()["detail"]
    r = app_client.delete("/v1/models/wine@production")
    assert r.status_code == 409
    job = app_client.get(f"/v1/models/{a}").json()["job_id"]
    r = app_client.delete(f"/v1/jobs/{job}", params={"delete_model": "true"})
    assert r.status_code == 409 and "registry name wine" in r.json()["detail"]
    assert app_client.get(f"/v1/jobs/{job}").status_code == 200  # nothing deleted
    assert app_client.delete(f"/v1/jobs/{job}").status_code == 204  # the model stays
    assert app_client.get("/v1/models/wine@production").json()["lineage"]["job_id"] == job
    r = app_client.put("/v1/registry/wine/aliases/production", json={"version": 7})
    assert r.status_code == 404 and "no version 7" in r.json()["detail"]
    r = app_client.put("/v1/registry/wine/aliases/42", json={"version": 1})
    assert r.status_code == 422 and "only digits" in r.json()["detail"]
    r = app_client.get("/v1/models/wine@staging")
    assert r.status_code == 404 and "no alias staging" in r.json()["detail"]
    assert app_client.get("/v1/models/nope@1").status_code == 404
    assert (
        app_client.post("/v1/models/wine@9/predict", json={"instances": [[1, 2]]}).status_code
        == 404
    )
    assert app_client.get("/v1/registry/nope").status_code == 404
    assert app_client.get("/v1/registry/Wine").status_code == 422

    # an alias removed frees its version, then the model
    assert app_client.delete("/v1/registry/wine/aliases/production").status_code == 204
    assert app_client.delete("/v1/registry/wine/aliases/production").status_code == 404
    assert app_client.delete("/v1/registry/wine/versions/1").status_code == 204
    assert app_client.delete("/v1/registry/wine/versions/1").status_code == 404
    assert app_client.delete(f"/v1/models/{a}").status_code == 204
    assert app_client.post("/v1/registry/wine/versions", json={"model_id": a}).status_code == 404
    assert (
        app_client.post("/v1/registry/wine/versions", json={"model_id": b}).json()["version"] == 2
    )
