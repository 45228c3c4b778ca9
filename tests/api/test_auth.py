"""API keys and tenants: 401 without a valid key, 404 across tenants."""

from __future__ import annotations

from fastapi.testclient import TestClient
from support import csv_bytes

ROUTES = ["/v1/datasets", "/v1/jobs", "/v1/models"]


def test_no_key_or_wrong_key_is_401(app_client):
    anon = TestClient(app_client.app)
    for path in ROUTES:
        r = anon.get(path)
        assert r.status_code == 401, path
        assert "API key" in r.json()["detail"]
        r = anon.get(path, headers={"Authorization": "Bearer bp_wrong"})
        assert r.status_code == 401, path


def test_other_tenant_sees_nothing(app_client, other_client):
    data = csv_bytes(["a", "t"], [[1, 0], [2, 1], [3, 0], [4, 1]])
    ds = app_client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    ds_id = ds.json()["id"]
    assert other_client.get(f"/v1/datasets/{ds_id}").status_code == 404
    assert other_client.delete(f"/v1/datasets/{ds_id}").status_code == 404
    assert other_client.get("/v1/datasets").json()["total"] == 0
    job = {
        "dataset_id": ds_id,
        "network": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
        "training": {"epochs": 1},
    }
    assert other_client.post("/v1/jobs", json=job).status_code == 404
    assert app_client.get(f"/v1/datasets/{ds_id}").status_code == 200


def test_keys_are_stored_hashed(app_client):
    from sqlalchemy import select

    from service.db.models import ApiKey
    from service.db.session import session_scope

    key = app_client.headers["authorization"].split()[1]
    with session_scope(app_client.app_settings.sqlalchemy_url) as session:
        hashes = session.scalars(select(ApiKey.key_hash)).all()
    assert hashes and key not in hashes and all(len(h) == 64 for h in hashes)
