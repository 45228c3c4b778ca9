"""Model references in paths: a model id, `name@alias` or `name@version` (the registry).

Every model route resolves its `{model_ref}` here. A registry reference is looked up in the
database (one indexed query), and each API process reuses the answer for at most
`registry_ref_seconds`, so when an alias moves every process follows within that time."""

from __future__ import annotations

import re
import threading
import time
from typing import Annotated

from fastapi import HTTPException, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from service.api.ownership import get_owned
from service.db import registry_repo
from service.db.models import TrainedModel
from service.db.session import session_factory

NAME_PATTERN = r"^[a-z0-9._-]{1,64}$"
"""Registry names and aliases: 1-64 of lowercase letters, digits, '.', '_' and '-'."""
ModelRef = Annotated[
    str,
    Path(description="A model id, or a registry reference: name@alias or name@version"),
]
"""The type of every `{model_id}` path parameter of the model routes."""
REF = re.compile(r"(?P<name>[a-z0-9._-]{1,64})@(?P<pointer>[a-z0-9._-]{1,64})")


def not_found(ref: str, why: str = "") -> HTTPException:
    """The 404 of an unknown (or another tenant's) model reference."""
    return HTTPException(404, why or f"model {ref[:130]} not found")


def resolve_model_id(session: Session, tenant_id: str, ref: str) -> str:
    """The model id `ref` stands for: itself, or what `name@alias` / `name@N` points at now.
    404 for a malformed reference or an unknown name, alias or version."""
    if "@" not in ref:
        return ref
    match = REF.fullmatch(ref)
    if match is None:
        raise not_found(ref)
    try:
        return registry_repo.resolve(session, tenant_id, match["name"], match["pointer"])
    except registry_repo.NotInRegistry as exc:
        raise not_found(ref, f"model {ref}: {exc}") from None


def get_owned_model(session: Session, tenant_id: str, ref: str) -> TrainedModel:
    """The tenant's model that `ref` stands for; 404 otherwise."""
    return get_owned(
        session, TrainedModel, tenant_id, resolve_model_id(session, tenant_id, ref), "model"
    )


def refuse_if_registered(session: Session, model_id: str) -> None:
    """409 when a registry version points at the model (delete that version first)."""
    entries = registry_repo.entries_for_models(session, [model_id]).get(model_id, [])
    if entries:
        raise HTTPException(
            409,
            f"model {model_id} is version {entries[0]['version']} of registry name "
            f"{entries[0]['name']}; delete that version first",
        )


class RefCache:
    """What registry references resolved to, per process, each kept at most `max_age` s."""

    def __init__(self, max_age: float) -> None:
        self.max_age = max_age
        self._items: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: str, ref: str) -> str | None:
        with self._lock:
            item = self._items.get((tenant_id, ref))
        if item is None or time.monotonic() - item[1] >= self.max_age:
            return None
        return item[0]

    def put(self, tenant_id: str, ref: str, model_id: str) -> None:
        with self._lock:
            if len(self._items) > 10_000:  # bounded: old answers are useless anyway
                self._items.clear()
            self._items[(tenant_id, ref)] = (model_id, time.monotonic())

    def forget(self, tenant_id: str, name: str) -> None:
        """Drop every reference to `name` (after this process changed it)."""
        with self._lock:
            for key in [
                k for k in self._items if k[0] == tenant_id and k[1].startswith(name + "@")
            ]:
                del self._items[key]


async def model_id_for(request: Request, tenant_id: str, ref: str) -> str:
    """resolve_model_id for async routes: a plain id or a fresh cached answer on the event
    loop; the database in a worker thread otherwise."""
    if "@" not in ref:
        return ref
    cache: RefCache = request.app.state.ref_cache
    model_id = cache.get(tenant_id, ref)
    if model_id is None:
        model_id = await run_in_threadpool(_resolve, request, tenant_id, ref)
        cache.put(tenant_id, ref, model_id)
    return model_id


def _resolve(request: Request, tenant_id: str, ref: str) -> str:
    with session_factory(request.app.state.settings.sqlalchemy_url)() as session:
        return resolve_model_id(session, tenant_id, ref)
