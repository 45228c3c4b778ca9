"""Liveness and readiness (Prometheus metrics: service.observability.http)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from service.api.deps import SessionDep, SettingsDep
from service.api.errors import problem

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (answered on the event loop: no worker-thread hop)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a dependency is unreachable"}})
def readyz(session: SessionDep, settings: SettingsDep):  # noqa: ANN201
    """The database (and the broker, when configured) answer."""
    checks: dict[str, str] = {}
    try:
        session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.broker_url:
        try:
            import redis

            redis.Redis.from_url(settings.broker_url, socket_timeout=2).ping()
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {type(exc).__name__}"
    else:
        checks["broker"] = "embedded"
    failing = {name: state for name, state in checks.items() if state.startswith("error")}
    if failing:
        detail = "not ready: " + "; ".join(f"{n} {s}" for n, s in failing.items())
        return problem(503, detail, [{"field": n, "message": s} for n, s in failing.items()])
    return {"status": "ready", "checks": checks}
