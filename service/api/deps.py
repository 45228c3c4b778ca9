"""Request dependencies: settings, a database session, the caller's tenant."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from service.api.auth_cache import AuthCache, Caller, CallerTenant
from service.config import Settings
from service.db.keys import hash_key, lookup_key
from service.db.session import session_factory
from service.worker.publish import Publisher

bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer <key>`")


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_session(settings: SettingsDep) -> Iterator[Session]:
    """A database session for one request, closed after it."""
    with session_factory(settings.sqlalchemy_url)() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_publisher(request: Request) -> Publisher:
    """The job transport: the embedded executor or Celery."""
    return request.app.state.publisher


PublisherDep = Annotated[Publisher, Depends(get_publisher)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _verify(request: Request, token: str, session: Session | None = None) -> Caller:
    """The caller behind a key: the in-process cache first, then the database (by hash);
    401 when the key is unknown or revoked."""
    cache: AuthCache = request.app.state.auth_cache
    digest = hash_key(token)
    caller = cache.get(digest)
    if caller is not None:
        return caller
    if session is None:
        settings: Settings = request.app.state.settings
        with session_factory(settings.sqlalchemy_url)() as own:
            found = lookup_key(own, token)
    else:
        found = lookup_key(session, token)
    if found is None:
        raise _unauthorized("invalid API key")
    key, tenant = found
    caller = Caller(key.id, key.is_admin, tenant.id, tenant.name)
    cache.put(digest, caller)
    return caller


def _admit(request: Request, caller: Caller) -> Caller:
    """Count the request against the key's rate limit (429 over it; never waits on I/O)
    and note the tenant for the access log."""
    request.app.state.rate_limiter.check(caller.key_id)
    request.state.tenant_id = caller.tenant_id
    return caller


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    return credentials.credentials


def authenticate(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None
) -> tuple[Caller, CallerTenant]:
    """The caller and its tenant; 401 when the key is missing, unknown or revoked; 429 over
    the rate limit. For code that already holds a session."""
    caller = _admit(request, _verify(request, _token(credentials), session))
    return caller, caller.tenant


async def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """Dependency: the verified caller (see verified_caller)."""
    return await verified_caller(request, _token(credentials))


async def verified_caller(request: Request, token: str) -> Caller:
    """The caller behind key `token`, admitted by the rate limit. A cached key is checked
    on the event loop; only a database lookup goes to a worker thread."""
    cached = request.app.state.auth_cache.get(hash_key(token))
    caller = cached if cached is not None else await run_in_threadpool(_verify, request, token)
    return _admit(request, caller)


def scope_bearer_key(scope: MutableMapping[str, Any]) -> str | None:
    """The key of a request's (first) `Authorization: Bearer <key>` header, read as
    `bearer` (HTTPBearer) and _token read it, without building their objects; None if
    there is none."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme and token and scheme.lower() == "bearer" else None
    return None


def bearer_token(scope: MutableMapping[str, Any]) -> str:
    """scope_bearer_key, or the same 401 as `bearer` and _token if there is none."""
    token = scope_bearer_key(scope)
    if token is None:
        raise _unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    return token


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_tenant(caller: CallerDep) -> CallerTenant:
    """The caller's tenant: every object it creates belongs to it."""
    return caller.tenant


async def get_admin(caller: CallerDep) -> CallerTenant:
    """The caller's tenant, when its key has the admin scope; 403 otherwise."""
    if not caller.is_admin:
        raise HTTPException(403, "this route needs an admin key (backprop keys create --admin)")
    return caller.tenant


AdminDep = Annotated[CallerTenant, Depends(get_admin)]
TenantDep = Annotated[CallerTenant, Depends(get_tenant)]


async def pagination(limit: int = 50, offset: int = 0) -> tuple[int, int]:
    """Validated limit (1..500) and offset (>= 0) query parameters."""
    if not 1 <= limit <= 500:
        raise HTTPException(422, "query parameter 'limit' must be between 1 and 500")
    if not 0 <= offset <= 10**9:
        raise HTTPException(422, "query parameter 'offset' must be between 0 and 1000000000")
    return limit, offset


PageDep = Annotated[tuple[int, int], Depends(pagination)]
