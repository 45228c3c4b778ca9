"""The /metrics route and an ASGI middleware: predict latency and one JSON access log line."""

from __future__ import annotations

import itertools
import os
import re
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.observability.access_log import write_access_line
from service.observability.asgi import HttpMiddleware
from service.observability.logging import log_context
from service.observability.metrics import Metrics

router = APIRouter(tags=["health"])
PREDICT_PATH = re.compile(r"^/v1/models/[^/]+/predict$")
QUIET_PATHS = {"/healthz", "/readyz", "/metrics"}
_ID_PREFIX = os.urandom(4).hex()
_ids = itertools.count(1)
"""Request ids, 16 hex digits: this process's random prefix and a counter (no syscall)."""


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text exposition: jobs by status, queue depth, durations, latency."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class ObserveMiddleware(HttpMiddleware):
    """Times each HTTP request: predict latency histogram, access log with a request id."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: bool = True) -> None:
        super().__init__(app)
        self.metrics, self.access_log = metrics, access_log

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value[:64]
                break
        request_id = given.decode("latin-1") if given else f"{_ID_PREFIX}{next(_ids):08x}"
        id_header = (b"x-request-id", given or request_id.encode())
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                self._done(scope, state["status"], time.perf_counter() - started, request_id)

    def _done(self, scope: Scope, status: int, elapsed: float, request_id: str) -> None:
        path, method = scope["path"], scope["method"]
        if path in QUIET_PATHS:
            return
        if method == "POST" and path.endswith("/predict") and PREDICT_PATH.match(path):
            self.metrics.observe_predict(elapsed, status)
        if path.startswith("/static/") or not self.access_log:
            return
        tenant_id = (scope.get("state") or {}).get("tenant_id")  # set by authentication
        write_access_line(method, path, status, elapsed, request_id, tenant_id)


def install(app: FastAPI, metrics: Metrics, access_log: bool = True) -> None:
    """Keep `metrics` on app.state, add the middleware and the /metrics route."""
    app.state.metrics = metrics
    app.add_middleware(ObserveMiddleware, metrics=metrics, access_log=access_log)
    app.include_router(router)
