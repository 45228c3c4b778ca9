"""One query helper for every list endpoint: count, newest first, limit/offset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from service.schemas.common import Page

T = TypeVar("T")


def paginate(
    session: Session,
    model: Any,
    where: list[ColumnElement[bool]],
    page: tuple[int, int],
    to_out: Callable[[Any], T],
) -> Page[T]:
    """A page of `model` rows matching `where`, newest first (by created_at)."""
    limit, offset = page
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = session.scalars(
        select(model)
        .where(*where)
        .order_by(model.created_at.desc(), model.id)
        .limit(limit)
        .offset(offset)
    )
    return Page(items=[to_out(r) for r in rows], total=total, limit=limit, offset=offset)
