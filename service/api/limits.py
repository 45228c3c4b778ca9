"""Resource limits checked before anything is stored or queued; 4xx/429 when exceeded."""

from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Job


def check_runtime_limit(settings: Settings, seconds: float | None) -> None:
    """422 when a job asks for more training time than the server allows."""
    if seconds is not None and seconds > settings.max_runtime_seconds:
        raise HTTPException(
            422,
            f"max_runtime_seconds: {seconds:g} is above the server's limit of "
            f"{settings.max_runtime_seconds:g}",
        )


def check_dataset_limits(settings: Settings, rows: int, columns: int) -> None:
    """422 when a parsed dataset has more rows or columns than allowed."""
    if rows > settings.max_dataset_rows:
        raise HTTPException(
            422, f"dataset has {rows} rows; the limit is {settings.max_dataset_rows}"
        )
    if columns > settings.max_dataset_columns:
        raise HTTPException(
            422,
            f"dataset has {columns} features per row; the limit is {settings.max_dataset_columns}",
        )


def check_concurrent_jobs(session: Session, settings: Settings, tenant_id: str) -> None:
    """429 with Retry-After when the tenant already has too many queued or running jobs."""
    active = (
        session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.tenant_id == tenant_id, Job.status.in_(("queued", "running")))
        )
        or 0
    )
    if active >= settings.max_concurrent_jobs:
        raise HTTPException(
            429,
            f"{active} jobs are queued or running; the limit per tenant is "
            f"{settings.max_concurrent_jobs}. Retry when one has finished.",
            headers={"Retry-After": "10"},
        )
