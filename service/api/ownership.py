"""Object-level authorization: an object of another tenant (or no object) is a 404."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from fastapi import HTTPException
from sqlalchemy.orm import Session

T = TypeVar("T")
ID_PATTERN = re.compile(r"[0-9A-Za-z_-]{1,64}")


def well_formed(object_id: str) -> bool:
    """Ids are short tokens of letters, digits, '-' and '_' (no NULs, no paths)."""
    return ID_PATTERN.fullmatch(object_id) is not None


def get_owned(session: Session, model: type[T], tenant_id: str, object_id: str, what: str) -> T:
    """The `model` row with this id if it belongs to the tenant; 404 otherwise."""
    row: Any = session.get(model, object_id) if well_formed(object_id) else None
    if row is None or row.tenant_id != tenant_id:
        raise HTTPException(404, f"{what} {object_id[:64]} not found")
    return row
