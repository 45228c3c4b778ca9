"""The /metrics route and an ASGI middleware: predict latency and one JSON access log line."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.observability.logging import log_context
from service.observability.metrics import Metrics

log = logging.getLogger("service.access")
router = APIRouter(tags=["health"])
PREDICT_PATH = re.compile(r"^/v1/models/[^/]+/predict$")
QUIET_PATHS = {"/healthz", "/readyz", "/metrics"}


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text exposition: jobs by status, queue depth, durations, latency."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class ObserveMiddleware:
    """Times each HTTP request: predict latency histogram, access log with a request id."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode()[:64] or uuid.uuid4().hex[:16]
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                self._done(scope, state["status"], time.perf_counter() - started, request_id)

    def _done(self, scope: Scope, status: int, elapsed: float, request_id: str) -> None:
        path, method = scope.get("path", ""), scope.get("method", "")
        if method == "POST" and PREDICT_PATH.match(path):
            self.metrics.observe_predict(elapsed, status)
        if path in QUIET_PATHS or path.startswith("/static/"):
            return
        extra: dict[str, Any] = {"method": method, "path": path, "status": status}
        extra.update(ms=round(elapsed * 1e3, 2), request_id=request_id)
        tenant_id = (scope.get("state") or {}).get("tenant_id")  # set by authentication
        if tenant_id:
            extra["tenant_id"] = tenant_id
        log.info("%s %s %s %.1fms", method, path, status, elapsed * 1e3, extra=extra)


def install(app: FastAPI, metrics: Metrics) -> None:
    """Keep `metrics` on app.state, add the middleware and the /metrics route."""
    app.state.metrics = metrics
    app.add_middleware(ObserveMiddleware, metrics=metrics)
    app.include_router(router)
