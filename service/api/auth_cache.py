"""A short-lived in-process cache of verified API keys, so hot routes skip the database."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's id and scope and its tenant (id and name)."""

    key_id: str
    is_admin: bool
    tenant_id: str
    tenant_name: str

    @property
    def tenant(self) -> CallerTenant:
        return CallerTenant(self.tenant_id, self.tenant_name)


@dataclass(frozen=True)
class CallerTenant:
    """The caller's tenant, as routes use it (tenant.id, tenant.name)."""

    id: str
    name: str


class AuthCache:
    """key hash -> Caller for `ttl` seconds (0 disables). A revoked key keeps working in
    other processes for at most `ttl` seconds; this process forgets it at once."""

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._items: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> Caller | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            item = self._items.get(key_hash)
            if item is None or item[0] < time.monotonic():
                self._items.pop(key_hash, None)
                return None
            return item[1]

    def put(self, key_hash: str, caller: Caller) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._items) >= self.max_entries:
                self._items.clear()
            self._items[key_hash] = (time.monotonic() + self.ttl, caller)

    def forget_key(self, key_id: str) -> None:
        with self._lock:
            for digest in [h for h, (_, c) in self._items.items() if c.key_id == key_id]:
                del self._items[digest]
