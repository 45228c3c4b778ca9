"""Each API process's cache of loaded models: an LRU by model id that answers only the
owning tenant and re-confirms a cached model in the database now and then, so a delete
made through another process reaches it."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from service.db.models import TrainedModel, well_formed
from service.db.session import session_factory
from service.serving.model import LoadedModel, load_model


class ModelCache:
    """Thread-safe LRU of LoadedModel by model id, holding at most `capacity` models."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._items: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model_id: str) -> LoadedModel | None:
        with self._lock:
            item = self._items.get(model_id)
            if item is not None:
                self._items.move_to_end(model_id)
            return item

    def put(self, model_id: str, model: LoadedModel) -> None:
        with self._lock:
            self._items[model_id] = model
            self._items.move_to_end(model_id)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def drop(self, model_id: str) -> None:
        with self._lock:
            self._items.pop(model_id, None)

    async def owned_model(
        self, tenant_id: str, model_id: str, database_url: str, check_seconds: float
    ) -> LoadedModel | None:
        """The tenant's model, or None if there is none with this id (or it is another
        tenant's).

        A cached model answers on the event loop; once `check_seconds` have passed since
        the database last confirmed it, it is confirmed again (and dropped if gone). The
        first use loads it from the database in a worker thread.
        """
        loaded = self.get(model_id)
        if loaded is not None and loaded.tenant_id != tenant_id:
            return None
        if loaded is not None and time.monotonic() - loaded.checked_at >= check_seconds:
            if not await run_in_threadpool(_exists, database_url, tenant_id, model_id):
                self.drop(model_id)
                return None
            loaded.checked_at = time.monotonic()
        if loaded is None:
            loaded = await run_in_threadpool(self._load, database_url, tenant_id, model_id)
        return loaded

    def _load(self, database_url: str, tenant_id: str, model_id: str) -> LoadedModel | None:
        """Load the tenant's model from the database into the cache (None if not found)."""
        with session_factory(database_url)() as session:
            row = session.get(TrainedModel, model_id) if well_formed(model_id) else None
            if row is None or row.tenant_id != tenant_id:
                return None
            loaded = load_model(row)
        self.put(model_id, loaded)
        return loaded


def _exists(database_url: str, tenant_id: str, model_id: str) -> bool:
    with session_factory(database_url)() as session:
        found = session.scalar(
            select(TrainedModel.id).where(
                TrainedModel.id == model_id, TrainedModel.tenant_id == tenant_id
            )
        )
    return found is not None
