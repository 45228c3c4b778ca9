"""Request dependencies: settings, a database session, the caller's tenant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.keys import tenant_for_key
from service.db.models import Tenant
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


def get_tenant(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Tenant:
    """The tenant of the bearer key; 401 when the key is missing, unknown or revoked."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    tenant = tenant_for_key(session, credentials.credentials)
    if tenant is None:
        raise HTTPException(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
    return tenant


TenantDep = Annotated[Tenant, Depends(get_tenant)]


def pagination(limit: int = 50, offset: int = 0) -> tuple[int, int]:
    """Validated limit (1..500) and offset (>= 0) query parameters."""
    if not 1 <= limit <= 500:
        raise HTTPException(422, "query parameter 'limit' must be between 1 and 500")
    if offset < 0:
        raise HTTPException(422, "query parameter 'offset' must be >= 0")
    return limit, offset


PageDep = Annotated[tuple[int, int], Depends(pagination)]
