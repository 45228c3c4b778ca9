"""Tenants and API keys: keys are random tokens, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import ApiKey, Tenant

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


def create_key(session: Session, tenant_name: str) -> str:
    """Create a key for the tenant (made if missing); returns the plaintext key, shown once."""
    tenant = get_or_create_tenant(session, tenant_name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(tenant_id=tenant.id, prefix=key[:10], key_hash=hash_key(key)))
    session.flush()
    return key


def tenant_for_key(session: Session, key: str) -> Tenant | None:
    """The tenant owning an unrevoked key, or None. Lookup is by hash, never by plaintext."""
    row = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
    )
    if row is None or not secrets.compare_digest(row.key_hash, hash_key(key)):
        return None
    return session.get(Tenant, row.tenant_id)


def any_key_exists(session: Session) -> bool:
    """Whether any API key has ever been created (first-start detection for `backprop up`)."""
    return session.scalar(select(ApiKey.id).limit(1)) is not None
