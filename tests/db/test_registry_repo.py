"""Registry storage on SQLite and PostgreSQL: numbering under concurrency, aliases, refusals."""

from __future__ import annotations

import threading

import pytest

from service.db import registry_repo
from service.db.keys import get_or_create_tenant
from service.db.models import TrainedModel, new_id


def add_model(sessions, tenant_id: str) -> str:
    """A stored model row (no real network: the registry only points at it)."""
    with sessions() as s:
        row = TrainedModel(
            id=new_id(),
            tenant_id=tenant_id,
            job_id=new_id(),
            dataset_id=new_id(),
            task="classification",
            network={"layers": []},
            training={},
            layers=[],
            num_params=0,
            metrics={},
            input_schema={},
            classes=None,
            preprocessing={},
            weights=b"",
        )
        s.add(row)
        s.commit()
        return row.id


def test_versions_number_up_and_are_never_reused(sessions, tenant_id):
    a, b = add_model(sessions, tenant_id), add_model(sessions, tenant_id)
    with sessions() as s:
        assert registry_repo.register(s, tenant_id, "wine", a).version == 1
        assert registry_repo.register(s, tenant_id, "wine", b).version == 2
        registry_repo.delete_version(s, tenant_id, "wine", 2)
        assert registry_repo.register(s, tenant_id, "wine", b).version == 3
        assert registry_repo.register(s, tenant_id, "other", b).version == 1
        name = registry_repo.get_name(s, tenant_id, "wine")
        assert [v.version for v in registry_repo.versions(s, name.id)] == [1, 3]
        assert registry_repo.resolve(s, tenant_id, "wine", "3") == b
        with pytest.raises(registry_repo.NotInRegistry, match="has no version 2"):
            registry_repo.resolve(s, tenant_id, "wine", "2")


def test_concurrent_registrations_get_distinct_numbers(sessions, tenant_id):
    model = add_model(sessions, tenant_id)
    numbers: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def register() -> None:
        try:
            start.wait()
            with sessions() as s:
                numbers.append(registry_repo.register(s, tenant_id, "race", model).version)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(numbers) == list(range(1, 9))


def test_aliases_move_and_guard_their_version(sessions, tenant_id):
    a, b = add_model(sessions, tenant_id), add_model(sessions, tenant_id)
    with sessions() as s:
        registry_repo.register(s, tenant_id, "wine", a)
        registry_repo.register(s, tenant_id, "wine", b)
        registry_repo.set_alias(s, tenant_id, "wine", "production", 1)
        assert registry_repo.resolve(s, tenant_id, "wine", "production") == a
        registry_repo.set_alias(s, tenant_id, "wine", "production", 2)
        assert registry_repo.resolve(s, tenant_id, "wine", "production") == b
        assert registry_repo.aliases(s, registry_repo.get_name(s, tenant_id, "wine").id) == {
            "production": 2
        }
        with pytest.raises(registry_repo.RegistryConflict, match="alias production"):
            registry_repo.delete_version(s, tenant_id, "wine", 2)
        with pytest.raises(registry_repo.NotInRegistry, match="no version 9"):
            registry_repo.set_alias(s, tenant_id, "wine", "production", 9)
        registry_repo.delete_version(s, tenant_id, "wine", 1)  # no alias on it
        registry_repo.delete_alias(s, tenant_id, "wine", "production")
        with pytest.raises(registry_repo.NotInRegistry, match="no alias production"):
            registry_repo.resolve(s, tenant_id, "wine", "production")
        registry_repo.delete_version(s, tenant_id, "wine", 2)
        assert registry_repo.entries_for_models(s, [a, b]) == {}


def test_names_belong_to_their_tenant(sessions, tenant_id):
    model = add_model(sessions, tenant_id)
    with sessions() as s:
        other = get_or_create_tenant(s, "other").id
        s.commit()
        registry_repo.register(s, tenant_id, "wine", model)
        with pytest.raises(registry_repo.NotInRegistry, match="registry name wine not found"):
            registry_repo.resolve(s, other, "wine", "1")
        with pytest.raises(registry_repo.NotInRegistry, match="model"):
            registry_repo.register(s, other, "wine", model)  # not other's model
        assert registry_repo.find_name(s, other, "wine") is None
        assert registry_repo.entries_for_models(s, [model]) == {
            model: [{"name": "wine", "version": 1, "aliases": []}]
        }
