"""/v1/webhooks: create (the secret is write-only), list, get, delete, deliveries; unsafe
URLs and unknown events are a clear 422."""

from __future__ import annotations

import pytest

BODY = {"url": "http://127.0.0.1:9/hook", "events": ["job.*"], "secret": "a-secret-of-some-length"}


@pytest.fixture
def private_ok(app_client):
    app_client.app_settings.webhook_allow_private = True
    return app_client


def test_create_list_get_delete(private_ok):
    client = private_ok
    r = client.post("/v1/webhooks", json=BODY)
    assert r.status_code == 201, r.text
    hook = r.json()
    assert r.headers["Location"] == f"/v1/webhooks/{hook['id']}"
    assert hook["url"] == BODY["url"] and hook["events"] == ["job.*"]
    second = client.post("/v1/webhooks", json={**BODY, "events": ["job.failed", "job.failed"]})
    assert second.json()["events"] == ["job.failed"]  # once each
    page = client.get("/v1/webhooks", params={"limit": 1})
    assert page.json()["total"] == 2 and len(page.json()["items"]) == 1
    assert page.json()["items"][0]["id"] == second.json()["id"]  # newest first
    got = client.get(f"/v1/webhooks/{hook['id']}")
    for response in (r, second, page, got):
        assert BODY["secret"] not in response.text and "secret" not in response.text
    deliveries = client.get(f"/v1/webhooks/{hook['id']}/deliveries")
    assert deliveries.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert client.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert client.get(f"/v1/webhooks/{hook['id']}").status_code == 404
    assert client.get(f"/v1/webhooks/{hook['id']}/deliveries").status_code == 404
    assert client.delete(f"/v1/webhooks/{hook['id']}").status_code == 404
    assert client.get("/v1/webhooks").json()["total"] == 1


UNSAFE = [
    ("http://127.0.0.1:8000/hook", "127.0.0.1, a loopback address"),
    ("http://localhost/hook", "a loopback address"),
    ("http://[::1]/hook", "::1, a loopback address"),
    ("http://10.0.0.5/hook", "10.0.0.5, a private address"),
    ("http://192.168.0.10/hook", "a private address"),
    ("http://169.254.169.254/latest", "a link-local address"),
    ("http://[fe80::1]/hook", "a link-local address"),
    ("http://224.0.0.251/hook", "a multicast address"),
    ("ftp://example.com/hook", "http or https"),
    ("file:///etc/passwd", "http or https"),
    ("http://no-such-host.invalid/", "does not resolve"),
]


def test_unsafe_urls_are_422(app_client):
    for url, fragment in UNSAFE:
        r = app_client.post("/v1/webhooks", json={**BODY, "url": url})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert fragment in r.json()["detail"], r.text
    assert app_client.get("/v1/webhooks").json()["total"] == 0


BAD_BODIES = [
    ({**BODY, "events": []}, "events"),
    ({**BODY, "events": ["job.exploded"]}, "events[0]: 'job.exploded' is not an event"),
    ({**BODY, "events": ["job.succeeded", "search"]}, "events[1]"),
    ({**BODY, "secret": "short"}, "secret"),
    ({**BODY, "secret": "with\u0000a-nul-inside"}, "secret"),
    ({**BODY, "url": "http://a b/"}, "url"),
    ({"url": BODY["url"], "events": ["*"]}, "secret"),
    ({**BODY, "id": "mine"}, "id"),
]


def test_bad_bodies_name_the_field(private_ok):
    for body, fragment in BAD_BODIES:
        r = private_ok.post("/v1/webhooks", json=body)
        assert r.status_code == 422, r.text
        assert fragment in r.json()["detail"], r.text


def test_a_tenant_has_at_most_twenty(private_ok):
    for _ in range(20):
        assert private_ok.post("/v1/webhooks", json=BODY).status_code == 201
    r = private_ok.post("/v1/webhooks", json=BODY)
    assert r.status_code == 409 and "at most 20" in r.json()["detail"]
