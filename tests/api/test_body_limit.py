"""Gates before a body is read: a key must be present, and bodies fit their route's limit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from support import csv_bytes


def test_no_key_is_401_before_the_body_is_parsed(app_client):
    anonymous = TestClient(app_client.app)
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        r = anonymous.post(
            "/v1/jobs",
            content=b"{not json",
            headers={"content-type": "application/json", **headers},
        )
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["www-authenticate"] == "Bearer"
    assert anonymous.get("/healthz").status_code == 200  # outside /v1: no key needed


def test_only_dataset_uploads_may_be_large(app_client):
    settings = app_client.app_settings
    settings.max_request_bytes = 2000
    big = {"instances": [[0.0] * 50] * 20}  # about 4 kB of JSON
    r = app_client.post("/v1/models/nope/predict", json=big)
    assert r.status_code == 413 and "2000 bytes" in r.json()["detail"]
    rows = [[i, i % 7, i % 2] for i in range(400)]  # about 4 kB of CSV
    r = app_client.post(
        "/v1/datasets",
        files={"file": ("d.csv", csv_bytes(["a", "b", "t"], rows))},
        data={"target": "t"},
    )
    assert r.status_code == 201, r.text
    settings.max_upload_bytes = 2000
    r = app_client.post(
        "/v1/datasets",
        files={"file": ("d.csv", csv_bytes(["a", "b", "t"], rows))},
        data={"target": "t"},
    )
    assert r.status_code == 413
