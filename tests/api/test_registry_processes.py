"""An alias moved through one API instance reaches every other instance sharing the
database: at once when it asks the database every time, and within registry_ref_seconds
(under 1 s) with its per-process cache."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from support import csv_bytes, wait_for_job

from service.api.app import create_app
from service.api.model_ref import RefCache
from service.config import Settings

NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}
ROWS = {"instances": [[1, 2], [3, 4], [5, 1]]}


def train(client, labels: tuple[str, str]) -> str:
    """A model whose predictions can only be `labels`, so two models never agree."""
    rows = [[i, (i * 7) % 5, labels[i % 2]] for i in range(40)]
    data = csv_bytes(["a", "b", "t"], rows)
    ds = client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    body = {"dataset_id": ds.json()["id"], "network": NETWORK, "training": {"epochs": 2}}
    done = wait_for_job(client, client.post("/v1/jobs", json=body).json()["id"])
    assert done["status"] == "succeeded", done
    return done["model_id"]


def labels_of(client: TestClient) -> set[str]:
    r = client.post("/v1/models/wine@production/predict", json=ROWS)
    assert r.status_code == 200, r.text
    return set(r.json()["predictions"])


def follows_within(client: TestClient, labels: set[str], seconds: float) -> bool:
    """Poll until `client` predicts only `labels` through the alias, or the deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if labels_of(client) <= labels:
            return True
        time.sleep(0.02)
    return False


def test_alias_move_reaches_other_instances(app_client):
    a = train(app_client, ("yes", "no"))
    b = train(app_client, ("up", "down"))
    app_client.post("/v1/registry/wine/versions", json={"model_id": a})
    app_client.post("/v1/registry/wine/versions", json={"model_id": b})
    app_client.put("/v1/registry/wine/aliases/production", json={"version": 1})

    settings: Settings = app_client.app_settings
    uncached = settings.model_copy(update={"registry_ref_seconds": 0.0})
    headers = dict(app_client.headers)
    with (
        TestClient(create_app(uncached, embedded_worker=False), headers=headers) as fresh,
        TestClient(create_app(settings, embedded_worker=False), headers=headers) as cached,
    ):
        assert labels_of(fresh) <= {"yes", "no"} and labels_of(cached) <= {"yes", "no"}
        moved = app_client.put("/v1/registry/wine/aliases/production", json={"version": 2})
        assert moved.status_code == 200
        assert labels_of(fresh) <= {"up", "down"}  # the very next request
        assert fresh.get("/v1/models/wine@production").json()["id"] == b
        # the cached instance follows once its answer is older than registry_ref_seconds
        assert follows_within(cached, {"up", "down"}, seconds=30)


def test_ref_cache_forgets_after_max_age(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("service.api.model_ref.time.monotonic", lambda: now[0])
    cache = RefCache(max_age=0.5)
    cache.put("t", "wine@production", "model-1")
    now[0] += 0.49
    assert cache.get("t", "wine@production") == "model-1"
    assert cache.get("other-tenant", "wine@production") is None
    now[0] += 0.02
    assert cache.get("t", "wine@production") is None
    cache.put("t", "wine@production", "model-2")
    cache.put("t", "wine.v2@1", "model-3")
    cache.forget("t", "wine")
    assert cache.get("t", "wine@production") is None
    assert cache.get("t", "wine.v2@1") == "model-3"


def test_default_ref_age_is_under_a_second():
    assert 0 < Settings().registry_ref_seconds < 1.0
