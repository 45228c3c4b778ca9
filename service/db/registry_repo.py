"""Registry storage: names per tenant, versions numbered 1, 2, ... per name (never reused),
and aliases that point at versions. Plain functions over a session; each write commits."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.models import TrainedModel, utcnow
from service.db.registry_models import RegistryAlias, RegistryName, RegistryVersion

T = TypeVar("T")
ATTEMPTS = 5
"""Tries of a write that lost a race on a uniqueness constraint (a name or alias created
at the same moment by another request)."""


class RegistryError(Exception):
    """A registry request that cannot be done; `http_status` says which kind."""

    http_status = 400


class NotInRegistry(RegistryError):
    """No such name, version or alias (for this tenant)."""

    http_status = 404


class RegistryConflict(RegistryError):
    """The change would break a reference (an alias on a version, a version on a model)."""

    http_status = 409


def _retrying(session: Session, write: Callable[[], T]) -> T:
    """write() then commit, again after a rollback when a concurrent write won a unique key."""
    for attempt in range(ATTEMPTS):
        try:
            result = write()
            session.commit()
            return result
        except IntegrityError:
            session.rollback()
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def find_name(session: Session, tenant_id: str, name: str) -> RegistryName | None:
    """The tenant's name row, or None."""
    return session.scalar(
        select(RegistryName).where(RegistryName.tenant_id == tenant_id, RegistryName.name == name)
    )


def get_name(session: Session, tenant_id: str, name: str) -> RegistryName:
    """The tenant's name row; NotInRegistry when it has none by that name."""
    row = find_name(session, tenant_id, name)
    if row is None:
        raise NotInRegistry(f"registry name {name} not found")
    return row


def register(session: Session, tenant_id: str, name: str, model_id: str) -> RegistryVersion:
    """Add the tenant's model as the next version of `name` (created on first use).

    The number comes from an atomic increment of the name's counter, so two concurrent
    registrations get different numbers; the unique (name, version) key backs that up."""
    model = session.get(TrainedModel, model_id)
    if model is None or model.tenant_id != tenant_id:
        raise NotInRegistry(f"model {model_id[:64]} not found")

    def write() -> RegistryVersion:
        row = find_name(session, tenant_id, name)
        if row is None:
            row = RegistryName(tenant_id=tenant_id, name=name, last_version=0)
            session.add(row)
            session.flush()
        number = session.scalar(
            update(RegistryName)
            .where(RegistryName.id == row.id)
            .values(last_version=RegistryName.last_version + 1)
            .returning(RegistryName.last_version)
        )
        version = RegistryVersion(name_id=row.id, version=number, model_id=model_id)
        session.add(version)
        session.flush()
        return version

    return _retrying(session, write)


def versions(session: Session, name_id: int) -> list[RegistryVersion]:
    """A name's versions, oldest first."""
    query = select(RegistryVersion).where(RegistryVersion.name_id == name_id)
    return list(session.scalars(query.order_by(RegistryVersion.version)))


def aliases(session: Session, name_id: int) -> dict[str, int]:
    """A name's aliases and the version each points at, by alias."""
    query = select(RegistryAlias.alias, RegistryAlias.version).where(
        RegistryAlias.name_id == name_id
    )
    return {alias: version for alias, version in session.execute(query.order_by("alias"))}


def get_version(session: Session, name: RegistryName, number: int) -> RegistryVersion:
    """Version `number` of a name; NotInRegistry when there is none."""
    row = session.scalar(
        select(RegistryVersion).where(
            RegistryVersion.name_id == name.id, RegistryVersion.version == number
        )
    )
    if row is None:
        raise NotInRegistry(f"registry name {name.name} has no version {number}")
    return row


def set_alias(session: Session, tenant_id: str, name: str, alias: str, number: int) -> None:
    """Point `alias` of `name` at version `number`, in one statement (create or move)."""
    row = get_name(session, tenant_id, name)
    get_version(session, row, number)

    def write() -> None:
        moved = session.execute(
            update(RegistryAlias)
            .where(RegistryAlias.name_id == row.id, RegistryAlias.alias == alias)
            .values(version=number, updated_at=utcnow())
        )
        if moved.rowcount == 0:
            session.add(RegistryAlias(name_id=row.id, alias=alias, version=number))
            session.flush()

    _retrying(session, write)


def delete_alias(session: Session, tenant_id: str, name: str, alias: str) -> None:
    """Remove an alias; NotInRegistry when the name has no such alias."""
    row = get_name(session, tenant_id, name)
    gone = session.execute(
        delete(RegistryAlias).where(RegistryAlias.name_id == row.id, RegistryAlias.alias == alias)
    )
    if gone.rowcount == 0:
        session.rollback()
        raise NotInRegistry(f"registry name {name} has no alias {alias}")
    session.commit()


def delete_version(session: Session, tenant_id: str, name: str, number: int) -> None:
    """Remove a version; RegistryConflict while an alias points at it (its number is not
    given again)."""
    row = get_name(session, tenant_id, name)
    version = get_version(session, row, number)
    pointing = sorted(a for a, v in aliases(session, row.id).items() if v == number)
    if pointing:
        raise RegistryConflict(
            f"version {number} of {name} is what alias {', '.join(pointing)} points at; "
            "move or delete the alias first"
        )
    session.delete(version)
    try:
        session.commit()
    except IntegrityError:  # an alias was pointed at it meanwhile (the foreign key says no)
        session.rollback()
        raise RegistryConflict(
            f"version {number} of {name} just got an alias; move or delete it first"
        ) from None


def resolve(session: Session, tenant_id: str, name: str, pointer: str) -> str:
    """The model id behind `name@pointer`, where pointer is a version number or an alias
    (one indexed query); NotInRegistry when either is unknown."""
    query = (
        select(RegistryVersion.model_id)
        .join(RegistryName, RegistryName.id == RegistryVersion.name_id)
        .where(RegistryName.tenant_id == tenant_id, RegistryName.name == name)
    )
    if pointer.isdigit():
        query = query.where(RegistryVersion.version == int(pointer))
        missing = f"version {pointer}"
    else:
        query = query.join(
            RegistryAlias,
            (RegistryAlias.name_id == RegistryVersion.name_id)
            & (RegistryAlias.version == RegistryVersion.version),
        ).where(RegistryAlias.alias == pointer)
        missing = f"alias {pointer}"
    model_id = session.scalar(query)
    if model_id is None:
        if find_name(session, tenant_id, name) is None:
            raise NotInRegistry(f"registry name {name} not found")
        raise NotInRegistry(f"registry name {name} has no {missing}")
    return model_id


def entries_for_models(session: Session, model_ids: list[str]) -> dict[str, list[dict]]:
    """Where each model is registered: {model_id: [{"name", "version", "aliases"}]}."""
    if not model_ids:
        return {}
    rows = session.execute(
        select(
            RegistryVersion.model_id, RegistryName.name, RegistryVersion.version, RegistryName.id
        )
        .join(RegistryName, RegistryName.id == RegistryVersion.name_id)
        .where(RegistryVersion.model_id.in_(model_ids))
        .order_by(RegistryName.name, RegistryVersion.version)
    ).all()
    found: dict[str, list[dict]] = {}
    for model_id, name, number, name_id in rows:
        pointing = [a for a, v in aliases(session, name_id).items() if v == number]
        found.setdefault(model_id, []).append(
            {"name": name, "version": number, "aliases": pointing}
        )
    return found


def count_versions(session: Session, name_id: int) -> int:
    """How many versions a name has now."""
    query = select(func.count()).where(RegistryVersion.name_id == name_id)
    return session.scalar(query) or 0
