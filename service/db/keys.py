"""Tenants and API keys: keys are random tokens, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db.models import ApiKey, Tenant, utcnow

KEY_PREFIX = "bp_"


def hash_key(key: str) -> str:
    """Hex SHA-256 of a key (keys carry 256 random bits, so a fast hash is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


def get_or_create_tenant(session: Session, name: str) -> Tenant:
    """The tenant called `name`, created if missing."""
    tenant = session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        tenant = Tenant(name=name)
        session.add(tenant)
        session.flush()
    return tenant


def create_key(session: Session, tenant_name: str, *, admin: bool = False) -> str:
    """Create a key for the tenant (made if missing); returns the plaintext key, shown once."""
    tenant = get_or_create_tenant(session, tenant_name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(tenant_id=tenant.id, prefix=key[:10], key_hash=hash_key(key), is_admin=admin)
    )
    session.flush()
    return key


def lookup_key(session: Session, key: str) -> tuple[ApiKey, Tenant] | None:
    """The unrevoked key row and its tenant, or None. Lookup is by hash, never by plaintext."""
    digest = hash_key(key)
    row = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    )
    if row is None or not secrets.compare_digest(row.key_hash, digest):
        return None
    tenant = session.get(Tenant, row.tenant_id)
    return (row, tenant) if tenant is not None else None


def list_keys(session: Session, tenant_name: str | None = None) -> list[tuple[ApiKey, str]]:
    """(key row, tenant name) of every key, or of one tenant's keys, oldest first."""
    query = select(ApiKey, Tenant.name).join(Tenant, Tenant.id == ApiKey.tenant_id)
    if tenant_name:
        query = query.where(Tenant.name == tenant_name)
    return [(k, name) for k, name in session.execute(query.order_by(ApiKey.created_at)).all()]


def revoke_key(session: Session, key_id_or_prefix: str) -> ApiKey | None:
    """Revoke the key with this id or (unique) prefix; None when nothing matched."""
    rows = session.scalars(
        select(ApiKey).where((ApiKey.id == key_id_or_prefix) | (ApiKey.prefix == key_id_or_prefix))
    ).all()
    if len(rows) != 1:
        return None
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == rows[0].id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.flush()
    session.refresh(rows[0])
    return rows[0]


def any_key_exists(session: Session) -> bool:
    """Whether any API key has ever been created (first-start detection for `backprop up`)."""
    return session.scalar(select(ApiKey.id).limit(1)) is not None
