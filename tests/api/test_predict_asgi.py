"""The predict fast path (api/predict_asgi.py) answers exactly what the FastAPI route answers:
every request here is sent with the fast path on and off (BACKPROP_PREDICT_FAST_PATH, on
the same app), a spy on the router shows which one answered, and the status, the headers
(but the request id) and the body must be the same."""

from __future__ import annotations

import io
import json
import logging
import math
import socket
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from conftest import make_key
from live_api import live_app, store_model

from service.api.app import create_app
from service.api.predict_asgi import PATH
from service.api.routers import models
from service.db.models import TrainedModel
from service.db.session import session_scope

SOFTMAX = [{"type": "dense", "units": 3, "activation": "softmax"}]
ROWS = {"instances": [[0.5, 1.5], [2.0, -1.0]]}


@pytest.fixture
def routed(app_client) -> list[dict]:
    """The scopes of the requests that reached FastAPI's router (with the route it chose)."""
    scopes: list[dict] = []
    router = app_client.app.router
    inner = router.middleware_stack

    async def spy(scope, receive, send) -> None:
        if scope["type"] == "http":
            scopes.append(scope)
        await inner(scope, receive, send)

    router.middleware_stack = spy
    return scopes


def model(settings, tenant: str = "alice", scale: float = 1.0) -> str:
    weights = {"layers.0.W": scale * np.arange(6, dtype=np.float32).reshape(2, 3) / 6}
    return store_model(settings, tenant, SOFTMAX, (2,), classes=["a", "b", "c"], weights=weights)


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def answered(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = dict(response.headers)
    assert headers.pop("x-request-id")
    return response.status_code, headers, response.content


def both_ways(
    client, routed: list[dict], url: str, *, reaches_route: bool = True, **kw
) -> httpx.Response:
    """POST through the fast path, then through the route; the same answer; the first.
    A callable `content` makes each request's body (a generator is used up once)."""
    settings = client.app_settings
    content = kw.pop("content", None)

    def post() -> httpx.Response:
        return client.post(url, content=content() if callable(content) else content, **kw)

    routed.clear()
    fast = post()
    assert routed == [], "the fast path did not answer"
    settings.predict_fast_path = False
    try:
        slow = post()
    finally:
        settings.predict_fast_path = True
    assert [scope["path"] for scope in routed] == ([url] if reaches_route else [])
    assert answered(fast) == answered(slow)
    return fast


def test_success_json_and_npy(app_client, routed):
    url = f"/v1/models/{model(app_client.app_settings)}/predict"
    r = both_ways(app_client, routed, url, json=ROWS)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json()["predictions"] and len(r.json()["probabilities"]) == 2
    X = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    r = both_ways(
        app_client, routed, url, content=npy(X), headers={"content-type": "application/x-npy"}
    )
    assert r.status_code == 200 and len(r.json()["predictions"]) == 300


def test_unknown_key_missing_key_other_tenant_and_unknown_model(app_client, routed):
    settings = app_client.app_settings
    url = f"/v1/models/{model(settings)}/predict"
    r = both_ways(app_client, routed, url, json=ROWS, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = both_ways(
        app_client, routed, url, json=ROWS, headers={"Authorization": ""}, reaches_route=False
    )
    assert r.status_code == 401  # the key-required gate, before either
    key = app_client.headers["authorization"].partition(" ")[2]
    for spelling in (f"bearer {key}", f"BEARER   {key}  "):  # as HTTPBearer reads them
        r = both_ways(app_client, routed, url, json=ROWS, headers={"Authorization": spelling})
        assert r.status_code == 200, spelling
    for spelling in (f"Basic {key}", f"Bearer\t{key}"):  # refused by the gate, before either
        r = both_ways(
            app_client,
            routed,
            url,
            json=ROWS,
            headers={"Authorization": spelling},
            reaches_route=False,
        )
        assert r.status_code == 401, spelling
    theirs = f"/v1/models/{model(settings, 'mallory')}/predict"
    r = both_ways(app_client, routed, theirs, json=ROWS)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    for ref in ("0" * 32, "no-such@production", "Bad@@ref"):
        r = both_ways(app_client, routed, f"/v1/models/{ref}/predict", json=ROWS)
        assert r.status_code == 404, r.text


def test_content_type_and_size_limits(app_client, routed):
    settings = app_client.app_settings
    url = f"/v1/models/{model(settings)}/predict"
    r = both_ways(app_client, routed, url, content=b"1,2\n", headers={"content-type": "text/csv"})
    assert r.status_code == 415
    settings.max_predict_values = 40  # 10 rows x (3 probabilities + a label)
    r = both_ways(app_client, routed, url, json={"instances": [[1, 2]] * 11})
    assert r.status_code == 413 and "BACKPROP_MAX_PREDICT_VALUES" in r.json()["detail"]
    settings.max_request_bytes = 1000
    body = json.dumps({"instances": [[1.25, 2.5]] * 200}).encode()
    r = both_ways(app_client, routed, url, content=body, reaches_route=False)
    assert r.status_code == 413  # declared: refused by the body gate, before either

    def streamed() -> Iterator[bytes]:  # chunked, no length: cut while it is read
        yield body

    r = both_ways(app_client, routed, url, content=streamed)
    assert r.status_code == 413 and "1000 bytes" in r.json()["detail"]


def test_unprocessable_bodies_name_the_row_and_column(app_client, routed):
    url = f"/v1/models/{model(app_client.app_settings)}/predict"
    r = both_ways(app_client, routed, url, json={"instances": [[1, 2], [3, "x"]]})
    assert r.status_code == 422 and r.json()["detail"].startswith("instances[1][1]: 'x'")
    bad = np.ones((9, 2), np.float32)
    bad[7, 1] = np.inf
    r = both_ways(
        app_client, routed, url, content=npy(bad), headers={"content-type": "application/x-npy"}
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("instances[7][1]: inf")
    assert r.json()["errors"][0]["row"] == 7
    twice = b'{"instances": [[1, 2]], "instances": [[3, 4]]}'
    r = both_ways(
        app_client, routed, url, content=twice, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and "'instances' appears more than once" in r.json()["detail"]


def test_over_the_rate_limit_is_the_same_429(app_client, routed):
    url = f"/v1/models/{model(app_client.app_settings)}/predict"
    app_client.app.state.rate_limiter.per_minute = 2
    assert app_client.post(url, json=ROWS).status_code == 200
    assert app_client.post(url, json=ROWS).status_code == 200
    started = time.perf_counter()
    fast = app_client.post(url, json=ROWS)
    app_client.app_settings.predict_fast_path = False
    slow = app_client.post(url, json=ROWS)
    elapsed = time.perf_counter() - started
    assert [scope["path"] for scope in routed] == [url]
    assert fast.status_code == slow.status_code == 429
    waits = [int(r.headers["retry-after"]) for r in (fast, slow)]
    assert 1 <= waits[1] <= waits[0] <= 60 and waits[0] - waits[1] <= math.ceil(elapsed)
    (_, fast_headers, fast_body), (_, slow_headers, slow_body) = map(answered, (fast, slow))
    fast_headers.pop("retry-after"), slow_headers.pop("retry-after")
    assert fast_headers == slow_headers and fast_body == slow_body


def test_a_model_deleted_elsewhere_or_moved_alias_is_followed(app_client, routed):
    settings = app_client.app_settings
    settings.model_cache_check_seconds = 0
    settings.registry_ref_seconds = 0
    a, b = model(settings), model(settings, scale=-1.0)
    for m in (a, b):
        r = app_client.post("/v1/registry/wine/versions", json={"model_id": m})
        assert r.status_code == 201, r.text
    assert app_client.put("/v1/registry/wine/aliases/prod", json={"version": 1}).status_code == 200
    by_alias = both_ways(app_client, routed, "/v1/models/wine@prod/predict", json=ROWS)
    assert by_alias.json() == app_client.post(f"/v1/models/{a}/predict", json=ROWS).json()
    assert app_client.put("/v1/registry/wine/aliases/prod", json={"version": 2}).status_code == 200
    moved = both_ways(app_client, routed, "/v1/models/wine@prod/predict", json=ROWS)
    assert moved.json() == app_client.post(f"/v1/models/{b}/predict", json=ROWS).json()
    assert moved.json() != by_alias.json()
    other = model(settings)
    url = f"/v1/models/{other}/predict"
    assert app_client.post(url, json=ROWS).status_code == 200  # cached now
    with session_scope(settings.sqlalchemy_url) as session:  # as another process would
        session.delete(session.get(TrainedModel, other))
    assert app_client.app.state.model_cache.get(other) is not None
    r = both_ways(app_client, routed, url, json=ROWS)
    assert r.status_code == 404 and app_client.app.state.model_cache.get(other) is None


def test_fast_path_requests_are_timed_logged_and_carry_a_request_id(app_client, caplog):
    caplog.set_level(logging.INFO, logger="service.access")
    url = f"/v1/models/{model(app_client.app_settings)}/predict"
    registry = app_client.app.state.metrics.registry

    def timed() -> float:
        count = "backprop_predict_latency_seconds_count"
        return registry.get_sample_value(count, {"status": "200"}) or 0.0

    before = timed()
    r = app_client.post(url, json=ROWS, headers={"X-Request-Id": "given-id"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "given-id"
    assert timed() == before + 1
    lines = [rec for rec in caplog.records if getattr(rec, "request_id", None) == "given-id"]
    assert lines and lines[0].path == url and lines[0].status == 200
    assert lines[0].tenant_id  # noted by authentication, as on the route


def test_the_fast_path_stands_in_for_the_route_fastapi_picks(app_client, routed):
    app_client.app_settings.predict_fast_path = False
    for path in ("/v1/models/abc/predict", "/v1/models/wine@prod/predict"):
        assert app_client.post(path, json=ROWS).status_code == 404
        assert routed[-1]["route"].endpoint is models.predict_route
        assert PATH.match(path)["model_id"] == routed[-1]["path_params"]["model_id"]
    for path in ("/v1/models/abc/predict/", "/v1/models/a/b/predict", "/v1/models//predict"):
        assert PATH.match(path) is None  # FastAPI's to answer (redirect, 404)


def stalled(url: str, key: str, path: str) -> bytes:
    """The status line and body of a predict whose body stalls after a few bytes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"instances": [[1, ')
        answer = b""
        while chunk := sock.recv(65536):  # closed after the 408
            answer += chunk
    status, _, rest = answer.partition(b"\r\n")
    return status + b"\n" + rest.partition(b"\r\n\r\n")[2]


def test_a_stalled_body_is_the_same_408(migrated):
    key = make_key(migrated, "alice")
    migrated.body_timeout_seconds = 0.3
    path = f"/v1/models/{model(migrated)}/predict"
    with live_app(create_app(migrated)) as url:
        fast = stalled(url, key, path)
        migrated.predict_fast_path = False
        slow = stalled(url, key, path)
    assert fast == slow and fast.startswith(b"HTTP/1.1 408")
    assert b"BACKPROP_BODY_TIMEOUT_SECONDS" in fast
