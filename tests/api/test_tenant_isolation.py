"""Object-level authorization: every route answers 404 for another tenant's objects."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from support import csv_bytes, wait_for_job

NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}


@pytest.fixture
def owned(app_client) -> dict[str, str]:
    data = csv_bytes(["a", "b", "t"], [[i, i % 3, i % 2] for i in range(30)])
    ds = app_client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    app_client.app_settings.webhook_allow_private = True  # the job's events go to a closed port
    hook = app_client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["job.*"], "secret": "s" * 16},
    )
    job = app_client.post(
        "/v1/jobs",
        json={"dataset_id": ds.json()["id"], "network": NETWORK, "training": {"epochs": 2}},
    )
    done = wait_for_job(app_client, job.json()["id"])
    registered = app_client.post("/v1/registry/wine/versions", json={"model_id": done["model_id"]})
    assert registered.status_code == 201, registered.text
    app_client.put("/v1/registry/wine/aliases/production", json={"version": 1})
    search = app_client.post(
        "/v1/searches",
        json={
            "dataset_id": ds.json()["id"],
            "network": NETWORK,
            "training": {"epochs": 2},
            "space": {"training.seed": {"choice": [1, 2]}},
            "strategy": {"max_trials": 2},
        },
    )
    assert search.status_code == 202, search.text
    ids = {"dataset": ds.json()["id"], "job": done["id"], "model": done["model_id"]}
    url = f"/v1/models/{ids['model']}/predictions"
    run = app_client.post(url, json={"dataset_id": ids["dataset"]}).json()["id"]
    return {**ids, "webhook": hook.json()["id"], "search": search.json()["id"], "run": run}


def routes(ids: dict[str, str]) -> list[tuple[str, str, dict | None]]:
    d, j, m, w = ids["dataset"], ids["job"], ids["model"], ids["webhook"]
    s = ids["search"]
    return [
        ("GET", f"/v1/webhooks/{w}", None),
        ("GET", f"/v1/webhooks/{w}/deliveries", None),
        ("DELETE", f"/v1/webhooks/{w}", None),
        ("GET", f"/v1/datasets/{d}", None),
        ("DELETE", f"/v1/datasets/{d}", None),
        ("GET", f"/v1/jobs/{j}", None),
        ("GET", f"/v1/jobs/{j}/history", None),
        ("GET", f"/v1/jobs/{j}/events", None),
        ("POST", f"/v1/jobs/{j}/cancel", None),
        ("DELETE", f"/v1/jobs/{j}", None),
        ("DELETE", f"/v1/jobs/{j}?delete_model=true", None),
        ("GET", f"/v1/models/{m}", None),
        ("GET", f"/v1/models/{m}/weights", None),
        ("POST", f"/v1/models/{m}/predict", {"instances": [[1, 2]]}),
        ("POST", f"/v1/models/{m}/evaluate", {"dataset_id": d}),
        ("GET", f"/v1/models/{m}/export?format=onnx", None),
        ("GET", "/v1/models/wine@production", None),
        ("GET", "/v1/models/wine@1/weights", None),
        ("POST", "/v1/models/wine@production/predict", {"instances": [[1, 2]]}),
        ("DELETE", "/v1/models/wine@1", None),
        ("GET", "/v1/registry/wine", None),
        ("POST", "/v1/registry/wine/versions", {"model_id": m}),
        ("PUT", "/v1/registry/wine/aliases/production", {"version": 1}),
        ("DELETE", "/v1/registry/wine/aliases/production", None),
        ("DELETE", "/v1/registry/wine/versions/1", None),
        ("GET", "/v1/models/wine@production/export?format=onnx", None),
        ("DELETE", f"/v1/models/{m}", None),
        ("POST", "/v1/jobs", {"dataset_id": d, "network": NETWORK}),
        ("GET", f"/v1/searches/{s}", None),
        ("GET", f"/v1/searches/{s}/trials", None),
        ("GET", f"/v1/searches/{s}/events", None),
        ("POST", f"/v1/searches/{s}/cancel", None),
        ("DELETE", f"/v1/searches/{s}", None),
        (
            "POST",
            "/v1/searches",
            {"dataset_id": d, "network": NETWORK, "space": {"training.seed": {"choice": [1]}}},
        ),
        ("POST", f"/v1/models/{m}/predictions", {"dataset_id": d}),
        ("GET", f"/v1/models/{m}/predictions/{ids['run']}", None),
        ("GET", f"/v1/models/{m}/predictions/{ids['run']}/download", None),
        ("POST", f"/v1/models/{m}/predictions/{ids['run']}/cancel", None),
        ("DELETE", f"/v1/models/{m}/predictions/{ids['run']}", None),
    ]


def test_other_tenant_gets_404_everywhere(app_client, other_client, owned):
    for method, path, body in routes(owned):
        r = other_client.request(method, path, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    paths = (
        "/v1/datasets",
        "/v1/jobs",
        "/v1/models",
        "/v1/registry",
        "/v1/webhooks",
        "/v1/searches",
    )
    for path in paths:
        assert other_client.get(path).json()["total"] == 0, path
    # and nothing of the owner's was touched by those attempts
    assert app_client.get(f"/v1/datasets/{owned['dataset']}").status_code == 200
    assert app_client.get(f"/v1/models/{owned['model']}").status_code == 200
    assert app_client.get(f"/v1/jobs/{owned['job']}").status_code == 200
    run = f"/v1/models/{owned['model']}/predictions/{owned['run']}"
    assert app_client.get(run).status_code == 200
    assert app_client.get(f"/v1/webhooks/{owned['webhook']}/deliveries").json()["total"] > 0
    assert app_client.get(f"/v1/searches/{owned['search']}").json()["cancel_requested"] is False
    r = app_client.post(f"/v1/models/{owned['model']}/predict", json={"instances": [[1, 2]]})
    assert r.status_code == 200
    assert app_client.get("/v1/registry/wine").json()["aliases"] == {"production": 1}


def test_no_key_is_401_everywhere(app_client, owned):
    anon = TestClient(app_client.app)
    for method, path, body in routes(owned):
        r = anon.request(method, path, json=body)
        assert r.status_code == 401, (method, path, r.status_code)


def test_evaluate_with_another_tenants_data_set_is_404(app_client, other_client, owned):
    data = csv_bytes(["a", "b", "t"], [[i, i % 3, i % 2] for i in range(30)])
    theirs = other_client.post(
        "/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"}
    )
    url = f"/v1/models/{owned['model']}/evaluate"
    r = app_client.post(url, json={"dataset_id": theirs.json()["id"]})
    assert r.status_code == 404 and "dataset" in r.json()["detail"], r.text
    r = other_client.post(url, json={"dataset_id": theirs.json()["id"]})
    assert r.status_code == 404 and "model" in r.json()["detail"], r.text
    assert app_client.post(url, json={"dataset_id": owned["dataset"]}).status_code == 200


def test_scoring_another_tenant_s_data_set_is_404(app_client, other_client, owned):
    data = csv_bytes(["a", "b", "t"], [[i, i % 5, i % 2] for i in range(30)])
    theirs = other_client.post(
        "/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"}
    ).json()["id"]
    r = app_client.post(f"/v1/models/{owned['model']}/predictions", json={"dataset_id": theirs})
    assert r.status_code == 404 and "dataset" in r.json()["detail"], r.text
    run = f"/v1/models/{owned['model']}/predictions/{owned['run']}"
    assert app_client.get(run).status_code == 200  # the owner still sees the run
    assert (
        other_client.get(f"/v1/models/{owned['model']}/predictions/{owned['job']}").status_code
        == 404
    )
