"""Admin-only routes: keys with the admin scope manage keys; others get 403."""

from __future__ import annotations

from conftest import make_key
from fastapi.testclient import TestClient


def test_admin_routes_need_the_admin_scope(app_client):
    assert app_client.get("/v1/admin/keys").status_code == 403
    settings = app_client.app_settings
    from service.db.keys import create_key
    from service.db.session import session_scope

    with session_scope(settings.sqlalchemy_url) as session:
        admin_key = create_key(session, "ops", admin=True)
    admin = TestClient(app_client.app, headers={"Authorization": f"Bearer {admin_key}"})
    tenants = {t["name"] for t in admin.get("/v1/admin/tenants").json()}
    assert {"alice", "ops"} <= tenants
    created = admin.post("/v1/admin/keys", json={"tenant": "bob"})
    assert created.status_code == 201, created.text
    bob_key = created.json()["key"]
    bob = TestClient(app_client.app, headers={"Authorization": f"Bearer {bob_key}"})
    assert bob.get("/v1/datasets").status_code == 200
    listed = admin.get("/v1/admin/keys", params={"tenant": "bob"}).json()
    assert [k["prefix"] for k in listed] == [bob_key[:10]] and "key" not in listed[0]
    assert admin.delete(f"/v1/admin/keys/{listed[0]['id']}").status_code == 200
    assert bob.get("/v1/datasets").status_code == 401  # revoked at once
    assert admin.delete("/v1/admin/keys/nope").status_code == 404
    assert admin.post("/v1/admin/keys", json={"tenant": "x", "role": "root"}).status_code == 422
    assert make_key(settings, "carol")  # the helper still works alongside


def test_rate_limit_per_key(app_client):
    app_client.app.state.rate_limiter.per_minute = 5
    codes = [app_client.get("/v1/datasets").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    r = app_client.get("/v1/datasets")
    assert int(r.headers["retry-after"]) >= 1 and "rate limit" in r.json()["detail"]
    assert app_client.get("/healthz").status_code == 200  # not keyed, not limited
