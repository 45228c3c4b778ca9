"""Liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from support import free_port

from service.api.app import create_app
from service.config import Settings


def test_health_ready_metrics(app_client):
    assert app_client.get("/healthz").json() == {"status": "ok"}
    ready = app_client.get("/readyz").json()
    assert ready["checks"] == {"database": "ok", "broker": "embedded"}
    assert app_client.get("/metrics").status_code == 200


def test_openapi_documents_job_example(app_client):
    doc = app_client.get("/openapi.json").json()
    assert "/v1/jobs" in doc["paths"] and "/v1/models/{model_id}/predict" in doc["paths"]
    assert doc["components"]["schemas"]["JobCreate"]["examples"]


def readyz(settings: Settings) -> tuple[int, dict]:
    """GET /readyz of an app that was never started (no worker for a missing dependency)."""
    response = TestClient(create_app(settings)).get("/readyz")
    return response.status_code, response.json()


def test_readyz_is_503_naming_a_database_that_cannot_be_reached(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite'}"
    status, body = readyz(Settings(data_dir=tmp_path, database_url=url, broker_url=None))
    assert status == 503, body
    assert body["detail"] == "not ready: database error: OperationalError"
    assert body["errors"] == [{"field": "database", "message": "error: OperationalError"}]


def test_readyz_is_503_naming_a_broker_that_cannot_be_reached(migrated: Settings):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    settings = migrated.model_copy(update={"broker_url": closed, "rate_limit_shared": False})
    status, body = readyz(settings)
    assert status == 503, body
    assert body["detail"] == "not ready: broker error: ConnectionError"
    assert [e["field"] for e in body["errors"]] == ["broker"]  # the database answered
