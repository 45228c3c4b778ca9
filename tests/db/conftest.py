"""A migrated database per test, on SQLite and (where reachable) PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import PG_ADMIN_URL, require_service

from service.db.keys import get_or_create_tenant
from service.db.migrate import upgrade
from service.db.session import get_engine, session_factory


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
        upgrade(url)
        yield url
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    name = f"bp_unit_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    upgrade(url)
    yield url
    get_engine(url).dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sessions(db_url: str):
    return session_factory(db_url)


@pytest.fixture
def tenant_id(sessions) -> str:
    with sessions() as session:
        tenant = get_or_create_tenant(session, "t")
        session.commit()
        return tenant.id
