"""Request dependencies: settings, a database session, the caller's tenant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.keys import lookup_key
from service.db.models import ApiKey, Tenant
from service.db.session import session_factory
from service.worker.publish import Publisher

bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer <key>`")


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    with session_factory(settings.sqlalchemy_url)() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_publisher(request: Request) -> Publisher:
    return request.app.state.publisher


PublisherDep = Annotated[Publisher, Depends(get_publisher)]


def authenticate(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None
) -> tuple[ApiKey, Tenant]:
    """The bearer key and its tenant; 401 when missing, unknown or revoked; 429 over the rate."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    found = lookup_key(session, credentials.credentials)
    if found is None:
        raise HTTPException(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
    request.app.state.rate_limiter.check(found[0].id)
    request.state.tenant_id = found[1].id
    return found


def get_caller(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> tuple[ApiKey, Tenant]:
    """Dependency form of authenticate()."""
    return authenticate(request, session, credentials)


CallerDep = Annotated[tuple[ApiKey, Tenant], Depends(get_caller)]


def get_tenant(caller: CallerDep) -> Tenant:
    """The caller's tenant: every object it creates belongs to it."""
    return caller[1]


def get_admin(caller: CallerDep) -> Tenant:
    """The caller's tenant, when its key has the admin scope; 403 otherwise."""
    if not caller[0].is_admin:
        raise HTTPException(403, "this route needs an admin key (backprop keys create --admin)")
    return caller[1]


AdminDep = Annotated[Tenant, Depends(get_admin)]
TenantDep = Annotated[Tenant, Depends(get_tenant)]


def pagination(limit: int = 50, offset: int = 0) -> tuple[int, int]:
    """Validated limit (1..500) and offset (>= 0) query parameters."""
    if not 1 <= limit <= 500:
        raise HTTPException(422, "query parameter 'limit' must be between 1 and 500")
    if offset < 0:
        raise HTTPException(422, "query parameter 'offset' must be >= 0")
    return limit, offset


PageDep = Annotated[tuple[int, int], Depends(pagination)]
