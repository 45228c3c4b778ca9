"""Admin-only routes (keys with the admin scope): tenants and API keys."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from service.api.deps import AdminDep, SessionDep
from service.db.keys import create_key, list_keys, lookup_key, revoke_key
from service.db.models import Tenant
from service.schemas.common import StrictModel, Timestamp

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class TenantOut(BaseModel):
    """A tenant as admins see it."""

    id: str
    name: str
    created_at: Timestamp


class KeyOut(BaseModel):
    """An API key as admins see it (never the key itself)."""

    id: str
    tenant: str
    prefix: str
    admin: bool
    created_at: Timestamp
    revoked_at: Timestamp | None


class KeyCreate(StrictModel):
    """POST /v1/admin/keys body."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"tenant": "acme", "admin": False}]}
    )
    tenant: str = Field(min_length=1, max_length=200, pattern=r"^[\w.@-]+$")
    admin: bool = False


class KeyCreated(KeyOut):
    """A new key, shown once."""

    key: str = Field(description="The key itself; shown only in this response.")


def _key_out(row, tenant: str) -> KeyOut:  # noqa: ANN001
    return KeyOut(
        id=row.id,
        tenant=tenant,
        prefix=row.prefix,
        admin=row.is_admin,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.get("/tenants", response_model=list[TenantOut])
def tenants(session: SessionDep, _: AdminDep) -> list[TenantOut]:
    """Every tenant."""
    rows = session.scalars(select(Tenant).order_by(Tenant.created_at))
    return [TenantOut(id=t.id, name=t.name, created_at=t.created_at) for t in rows]


@router.get("/keys", response_model=list[KeyOut])
def keys(session: SessionDep, _: AdminDep, tenant: str | None = None) -> list[KeyOut]:
    """Every key (never the key itself), optionally of one tenant."""
    return [_key_out(k, name) for k, name in list_keys(session, tenant)]


@router.post("/keys", status_code=201, response_model=KeyCreated)
def new_key(body: KeyCreate, session: SessionDep, _: AdminDep) -> KeyCreated:
    """Create a key for a tenant (created if new)."""
    key = create_key(session, body.tenant, admin=body.admin)
    session.commit()
    row, tenant = lookup_key(session, key)
    return KeyCreated(**_key_out(row, tenant.name).model_dump(), key=key)


@router.delete("/keys/{key_id}", response_model=KeyOut)
def revoke(key_id: str, session: SessionDep, _: AdminDep, request: Request) -> KeyOut:
    """Revoke a key by id or prefix; this process refuses it at once, others within
    BACKPROP_AUTH_CACHE_SECONDS."""
    row = revoke_key(session, key_id)
    if row is None:
        raise HTTPException(404, f"key {key_id} not found")
    session.commit()
    request.app.state.auth_cache.forget_key(row.id)
    tenant = session.get(Tenant, row.tenant_id)
    return _key_out(row, tenant.name if tenant else "")
