"""API keys: hashed at rest, looked up by hash, revoked keys refused."""

from __future__ import annotations

from sqlalchemy import select, update

from service.db.keys import any_key_exists, create_key, hash_key, lookup_key
from service.db.models import ApiKey, utcnow


def test_key_roundtrip_and_revocation(sessions):
    with sessions() as s:
        assert not any_key_exists(s)
        key = create_key(s, "acme")
        s.commit()
        assert any_key_exists(s)
        assert lookup_key(s, key)[1].name == "acme"
        assert lookup_key(s, key + "x") is None
        stored = s.scalars(select(ApiKey.key_hash)).all()
        assert stored == [hash_key(key)] and key not in stored
        s.execute(update(ApiKey).values(revoked_at=utcnow()))
        s.commit()
        assert lookup_key(s, key) is None
