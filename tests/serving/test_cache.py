"""ModelCache.owned_model: only the owner's models, re-confirmed in the database after
check_seconds, loaded on first use, and None (a 404 for the router) otherwise."""

from __future__ import annotations

import asyncio

import numpy as np

from service.config import Settings
from service.data import Standardizer
from service.db.blobs import arrays_to_npz
from service.db.models import Tenant, TrainedModel
from service.db.session import session_scope
from service.engine import build_network
from service.serving.cache import ModelCache
from service.serving.predict import predict

LAYERS = [{"type": "dense", "units": 2, "activation": "softmax"}]


def store_model(settings: Settings, tenant_name: str) -> tuple[str, str]:
    """A 2-feature, 2-class model row of a new tenant: (tenant id, model id)."""
    net = build_network(LAYERS, (2,), seed=0)
    identity = Standardizer(np.zeros(2, np.float32), np.ones(2, np.float32))
    with session_scope(settings.sqlalchemy_url) as session:
        tenant = Tenant(name=tenant_name)
        session.add(tenant)
        session.flush()
        row = TrainedModel(
            tenant_id=tenant.id,
            job_id=f"job-of-{tenant_name}",
            dataset_id="dataset",
            task="classification",
            network={"layers": LAYERS},
            training={},
            layers=[],
            num_params=6,
            metrics={},
            input_schema={"input_shape": [2], "features": 2},
            classes=["a", "b"],
            preprocessing={"standardizer": identity.to_dict()},
            weights=arrays_to_npz(net.get_weights()),
        )
        session.add(row)
        session.flush()
        return tenant.id, row.id


def owned(cache: ModelCache, settings: Settings, tenant_id: str, model_id: str, check: float):
    return asyncio.run(cache.owned_model(tenant_id, model_id, settings.sqlalchemy_url, check))


def delete_model(settings: Settings, model_id: str) -> None:
    with session_scope(settings.sqlalchemy_url) as session:
        session.delete(session.get(TrainedModel, model_id))


def test_the_owner_gets_a_loaded_model_and_it_stays_cached(migrated):
    tenant, model = store_model(migrated, "owner")
    cache = ModelCache(4)
    loaded = owned(cache, migrated, tenant, model, 3600.0)
    assert loaded is not None and loaded.tenant_id == tenant
    assert predict(loaded, [[1.0, 2.0]])["predictions"][0] in ("a", "b")
    assert cache.get(model) is loaded
    assert owned(cache, migrated, tenant, model, 3600.0) is loaded


def test_another_tenant_gets_none_whether_or_not_the_model_is_cached(migrated):
    tenant, model = store_model(migrated, "owner")
    stranger, _ = store_model(migrated, "stranger")
    cache = ModelCache(4)
    assert owned(cache, migrated, stranger, model, 3600.0) is None  # not loaded for them
    assert cache.get(model) is None
    loaded = owned(cache, migrated, tenant, model, 3600.0)
    assert owned(cache, migrated, stranger, model, 3600.0) is None  # cached, still not theirs
    assert cache.get(model) is loaded  # and the owner's entry is kept


def test_a_deleted_model_is_served_until_the_check_interval_then_dropped(migrated):
    tenant, model = store_model(migrated, "owner")
    cache = ModelCache(4)
    loaded = owned(cache, migrated, tenant, model, 3600.0)
    delete_model(migrated, model)  # as another API process would
    assert owned(cache, migrated, tenant, model, 3600.0) is loaded  # not re-checked yet
    assert owned(cache, migrated, tenant, model, 0.0) is None
    assert cache.get(model) is None


def test_a_confirmed_model_restarts_its_check_interval(migrated):
    tenant, model = store_model(migrated, "owner")
    cache = ModelCache(4)
    loaded = owned(cache, migrated, tenant, model, 3600.0)
    loaded.checked_at -= 100.0  # as if last confirmed 100 s ago
    assert owned(cache, migrated, tenant, model, 50.0) is loaded  # confirmed now
    delete_model(migrated, model)
    assert owned(cache, migrated, tenant, model, 50.0) is loaded  # within the new interval


def test_unknown_and_malformed_ids_are_none(migrated):
    tenant, _ = store_model(migrated, "owner")
    cache = ModelCache(4)
    for model_id in ("no-such-model", "bad\x00id", "x" * 65, "../etc"):
        assert owned(cache, migrated, tenant, model_id, 3600.0) is None
