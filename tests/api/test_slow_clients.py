"""Slow and vanishing clients: a stalled body is cut with 408, a client leaving mid-body is
a warning (not an unhandled error), and JSON bodies may not repeat a key."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from conftest import make_key
from live_api import live_app, store_model

from service.api.app import create_app
from service.api.json_keys import duplicate_key


def open_request(
    url: str, key: str, declared: int, sent: bytes, path: str = "/v1/jobs"
) -> socket.socket:
    """A raw connection that declares `declared` body bytes and sends only `sent`."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    )
    sock.sendall(head.encode() + sent)
    return sock


def route(settings, name: str) -> str:
    """The path of a route that reads a JSON body: job creation, or a model's predict."""
    if name == "jobs":
        return "/v1/jobs"
    model = store_model(settings, "alice", [{"type": "dense", "units": 1}], (1,), task="regression")
    return f"/v1/models/{model}/predict"


@pytest.mark.parametrize("name", ["jobs", "predict"])
def test_a_stalled_body_is_cut_with_408_and_the_connection_closed(migrated, name):
    key = make_key(migrated, "alice")
    migrated.body_timeout_seconds = 0.3
    path = route(migrated, name)
    with live_app(create_app(migrated)) as url:
        sock = open_request(url, key, 1000, b'{"dataset_id": ', path)
        answer = b""
        while chunk := sock.recv(65536):  # the server closes the connection after the 408
            answer += chunk
        sock.close()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 408"), answer
    assert b"BACKPROP_BODY_TIMEOUT_SECONDS" in rest


@pytest.mark.parametrize("name", ["jobs", "predict"])
def test_a_client_leaving_mid_body_is_a_warning_not_an_error(migrated, caplog, name):
    key = make_key(migrated, "alice")
    caplog.set_level(logging.INFO)
    path = route(migrated, name)
    with live_app(create_app(migrated)) as url:
        sock = open_request(url, key, 100_000, b'{"dataset_id": "' + b"x" * 5000, path)
        time.sleep(0.2)  # let the server read what was sent before the client leaves
        sock.close()
        deadline = time.monotonic() + 30
        while not any("client disconnected" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "the disconnect was never logged"
            time.sleep(0.02)
    gone = [r for r in caplog.records if "client disconnected" in r.getMessage()]
    assert gone[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        ("/v1/jobs", b'{"dataset_id": "a", "network": {}, "dataset_id": "b"}', "dataset_id"),
        ("/v1/jobs", b'{"dataset_id": "a", "network": {"layers": [], "layers": []}}', "layers"),
        ("/v1/datasets", b'{"X": [[1], [2]], "X": [[3], [4]], "y": [1, 2]}', "X"),
        ("/v1/models/{model}/predict", b'{"instances": [[1]], "instances": [[2]]}', "instances"),
    ],
)
def test_a_repeated_json_key_is_a_422_naming_it(app_client, path, body, key):
    settings = app_client.app_settings
    model = store_model(settings, "alice", [{"type": "dense", "units": 1}], (1,), task="regression")
    r = app_client.post(
        path.format(model=model), content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == f"body: the key '{key}' appears more than once"


def test_duplicate_keys_are_found_at_any_depth_and_only_there():
    assert duplicate_key(b'{"a": [{"b": 1, "c": {"d": 1, "d": 2}}]}') == "d"
    assert duplicate_key(b'{"a": {"b": 1}, "b": {"a": 1}}') is None
    assert duplicate_key(b'{"instances": [[1, 2], [3, 4]]}') is None
    assert duplicate_key(b'{"a": "x", "a": "y"') is None  # not JSON: its parser says so
    big = b'{"X": [' + b"[1.5, 2.5]," * 20000 + b'[0, 0]], "y": [1], "y": [2]}'
    assert duplicate_key(big) == "y"
