"""BACKPROP_OPENTELEMETRY: FastAPI's native OpenTelemetry instrumentation is off by default
(FastAPI then skips its per-request provider lookup) and on when the setting asks."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace

from service.api.app import create_app
from service.config import Settings


class RecordingProvider(trace.TracerProvider):
    """A configured (not deferred) provider that records which tracers FastAPI asks for."""

    def __init__(self) -> None:
        self.tracers: list[str] = []

    def get_tracer(self, name: str, *args: object, **kwargs: object) -> trace.Tracer:
        self.tracers.append(name)
        return trace.NoOpTracer()


@pytest.mark.parametrize("on", [False, True])
def test_fastapi_telemetry_follows_the_setting(on, tmp_path, monkeypatch):
    provider = RecordingProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    app = create_app(Settings(data_dir=tmp_path, opentelemetry=on), embedded_worker=False)
    assert TestClient(app).get("/healthz").status_code == 200
    assert bool(provider.tracers) is on, provider.tracers
