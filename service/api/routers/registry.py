"""The model registry: /v1/registry names, their numbered versions and moving aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response

from service.api.deps import PageDep, SessionDep, TenantDep
from service.api.model_ref import NAME_PATTERN, RefCache
from service.api.pagination import paginate
from service.db import registry_repo
from service.db.registry_models import RegistryName
from service.schemas.common import Page
from service.schemas.registry import (
    AliasOut,
    AliasSet,
    RegistryNameOut,
    VersionCreate,
    VersionOut,
)

router = APIRouter(prefix="/v1/registry", tags=["registry"])

Name = Annotated[
    str,
    Path(pattern=NAME_PATTERN, description="1-64 of a-z, 0-9, '.', '_', '-'", examples=["wine"]),
]
Alias = Annotated[
    str,
    Path(
        pattern=NAME_PATTERN,
        description="Like a name, but not only digits (name@3 means version 3)",
        examples=["production"],
    ),
]
Version = Annotated[int, Path(ge=1, le=2**31 - 1, examples=[2])]


def _version_out(name: str, row: registry_repo.RegistryVersion) -> VersionOut:
    return VersionOut(
        name=name, version=row.version, model_id=row.model_id, created_at=row.created_at
    )


def _name_out(session: SessionDep, row: RegistryName) -> RegistryNameOut:
    versions = registry_repo.versions(session, row.id)
    return RegistryNameOut(
        name=row.name,
        latest_version=versions[-1].version if versions else None,
        versions=[_version_out(row.name, v) for v in versions],
        aliases=registry_repo.aliases(session, row.id),
        created_at=row.created_at,
    )


def _changed(request: Request, tenant_id: str, name: str) -> None:
    """This process forgets what references to `name` resolved to (others within
    registry_ref_seconds)."""
    cache: RefCache = request.app.state.ref_cache
    cache.forget(tenant_id, name)


@router.post("/{name}/versions", status_code=201, response_model=VersionOut)
def register_version(
    name: Name, body: VersionCreate, session: SessionDep, tenant: TenantDep, response: Response
) -> VersionOut:
    """Register a trained model as the next version of `name` (1, 2, ...; created on first
    use). 404 when the model is not the caller's."""
    row = registry_repo.register(session, tenant.id, name, body.model_id)
    response.headers["Location"] = f"/v1/registry/{name}"
    return _version_out(name, row)


@router.get("", response_model=Page[RegistryNameOut])
def list_names(session: SessionDep, tenant: TenantDep, page: PageDep) -> Page[RegistryNameOut]:
    """The tenant's registered names with their versions and aliases, newest first."""
    where = [RegistryName.tenant_id == tenant.id]
    return paginate(session, RegistryName, where, page, lambda r: _name_out(session, r))


@router.get("/{name}", response_model=RegistryNameOut)
def get_name(name: Name, session: SessionDep, tenant: TenantDep) -> RegistryNameOut:
    """One name: its versions (oldest first) and aliases."""
    return _name_out(session, registry_repo.get_name(session, tenant.id, name))


@router.put("/{name}/aliases/{alias}", response_model=AliasOut)
def set_alias(
    name: Name,
    alias: Alias,
    body: AliasSet,
    session: SessionDep,
    tenant: TenantDep,
    request: Request,
) -> AliasOut:
    """Point an alias at a version (create it or move it, atomically). Every API process
    answers `name@alias` with the new version within registry_ref_seconds."""
    if alias.isdigit():
        raise HTTPException(422, f"alias {alias} is only digits: {name}@{alias} means a version")
    registry_repo.set_alias(session, tenant.id, name, alias, body.version)
    _changed(request, tenant.id, name)
    return AliasOut(name=name, alias=alias, version=body.version)


@router.delete("/{name}/aliases/{alias}", status_code=204)
def delete_alias(
    name: Name, alias: Alias, session: SessionDep, tenant: TenantDep, request: Request
) -> Response:
    """Remove an alias (its version stays)."""
    registry_repo.delete_alias(session, tenant.id, name, alias)
    _changed(request, tenant.id, name)
    return Response(status_code=204)


@router.delete("/{name}/versions/{version}", status_code=204)
def delete_version(
    name: Name, version: Version, session: SessionDep, tenant: TenantDep, request: Request
) -> Response:
    """Remove a version (its model stays; the number is not given again); 409 while an
    alias points at it."""
    registry_repo.delete_version(session, tenant.id, name, version)
    _changed(request, tenant.id, name)
    return Response(status_code=204)
