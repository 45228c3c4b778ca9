"""Object-level authorization: an object of another tenant (or no object) is a 404."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import HTTPException
from sqlalchemy.orm import Session

from service.db.models import Dataset, well_formed

T = TypeVar("T")


def get_owned(session: Session, model: type[T], tenant_id: str, object_id: str, what: str) -> T:
    """The `model` row with this id if it belongs to the tenant; 404 otherwise."""
    row: Any = session.get(model, object_id) if well_formed(object_id) else None
    if row is None or row.tenant_id != tenant_id:
        raise HTTPException(404, f"{what} {object_id[:64]} not found")
    return row


def get_owned_dataset(session: Session, tenant_id: str, dataset_id: str) -> Dataset:
    """The dataset if it belongs to the tenant; 404 otherwise (also for other tenants')."""
    return get_owned(session, Dataset, tenant_id, dataset_id, "dataset")
