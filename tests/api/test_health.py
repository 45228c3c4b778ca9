"""Liveness, readiness, metrics and the OpenAPI document."""

from __future__ import annotations


def test_health_ready_metrics(app_client):
    assert app_client.get("/healthz").json() == {"status": "ok"}
    ready = app_client.get("/readyz").json()
    assert ready["checks"] == {"database": "ok", "broker": "embedded"}
    assert app_client.get("/metrics").status_code == 200


def test_openapi_documents_job_example(app_client):
    doc = app_client.get("/openapi.json").json()
    assert "/v1/jobs" in doc["paths"] and "/v1/models/{model_id}/predict" in doc["paths"]
    assert doc["components"]["schemas"]["JobCreate"]["examples"]
