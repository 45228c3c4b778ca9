"""The app factory: gathers routers, error handlers and the job transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from service import __version__
from service.api import errors
from service.api.auth_cache import AuthCache
from service.api.body_limit import BodyLimitMiddleware, KeyRequiredMiddleware
from service.api.model_ref import RefCache
from service.api.predict_asgi import PredictFastPath
from service.api.rate_limit import build_rate_limiter
from service.api.routers import (
    admin,
    dashboard,
    datasets,
    evaluate,
    events,
    exports,
    health,
    jobs,
    models,
    predictions,
    registry,
    search_events,
    searches,
    webhooks,
)
from service.config import Settings, get_settings
from service.db.session import session_factory
from service.observability import http as observability
from service.observability.metrics import Metrics
from service.serving.cache import ModelCache
from service.worker.reconciler import JOIN_SECONDS, Reconciler


def create_app(settings: Settings | None = None, *, embedded_worker: bool | None = None) -> FastAPI:
    """Build the API. Without a broker, jobs run in an in-process executor (embedded mode).

    embedded_worker: force the in-process executor on/off; default: on when no broker is set.
    """
    settings = settings or get_settings()
    use_embedded = (not settings.broker_url) if embedded_worker is None else embedded_worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if use_embedded:
            from service.worker.embedded import EmbeddedExecutor

            app.state.publisher = EmbeddedExecutor(settings)
        else:
            from service.worker.publish import CeleryPublisher

            app.state.publisher = CeleryPublisher(settings)
        # The API process repairs too: republishing a job that failed to publish.
        reconciler = Reconciler(settings, app.state.publisher, sweep_at_start=use_embedded)
        reconciler.start()
        try:
            yield
        finally:
            reconciler.stop()
            close = getattr(app.state.rate_limiter, "close", None)
            if close:
                close()
            shutdown = getattr(app.state.publisher, "shutdown", None)
            if shutdown:
                shutdown()
            reconciler.join(JOIN_SECONDS)  # no repair pass outlives the app

    # /docs and /redoc with Swagger UI and ReDoc served from this process (fastapi-offline
    # ships the assets), so both work without internet access.
    app = FastAPIOffline(
        title="Backprop Service",
        version=__version__,
        description="Upload datasets and network specs, train them with a NumPy "
        "backpropagation engine, and serve predictions. Authenticate with "
        "`Authorization: Bearer <api key>`.",
        lifespan=lifespan,
        # FastAPI looks up the OpenTelemetry providers on every request while any of its
        # signals is on; the service has its own request ids, metrics and logs
        telemetry=dict.fromkeys(("tracing", "metrics", "logs"), settings.opentelemetry),
    )
    app.state.settings = settings
    app.state.model_cache = ModelCache(settings.model_cache_size)
    app.state.ref_cache = RefCache(settings.registry_ref_seconds)
    app.state.rate_limiter = build_rate_limiter(
        settings.rate_limit_per_minute, settings.broker_url, settings.rate_limit_shared
    )
    app.state.auth_cache = AuthCache(settings.auth_cache_seconds)
    errors.install(app)

    def body_limit(scope: dict) -> int:
        upload = scope.get("method") == "POST" and scope.get("path") == "/v1/datasets"
        return settings.max_upload_bytes if upload else settings.max_request_bytes

    app.add_middleware(PredictFastPath)  # the innermost: after the gates, before routing
    app.add_middleware(
        BodyLimitMiddleware, limit=body_limit, timeout=lambda: settings.body_timeout_seconds
    )
    app.add_middleware(KeyRequiredMiddleware)  # added last: runs first
    observability.install(
        app, Metrics(session_factory(settings.sqlalchemy_url)), access_log=settings.access_log
    )
    # The probes go in as the app's first plain routes: FastAPI matches an included router
    # through per-request context lookups that cost a /healthz 15 us of its 61 (in process).
    app.router.routes[:0] = health.router.routes
    routers = (
        datasets,
        jobs,
        events,
        models,
        evaluate,
        predictions,
        exports,
        registry,
        webhooks,
        admin,
        searches,
        search_events,
    )
    for module in routers:
        app.include_router(module.router, responses=errors.ERROR_RESPONSES)
    dashboard.install(app)
    return app
