"""Resource limits checked before anything is stored or queued; 4xx/429 when exceeded."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Job

WIDTH_KEYS = ("units", "filters", "output_dim")


def check_job_limits(
    settings: Settings,
    network: dict[str, Any],
    training: dict[str, Any],
    rows: int,
    num_params: int,
) -> None:
    """422 naming the limit when a job is larger than this server allows."""
    layers = network["layers"]
    if len(layers) > settings.max_layers:
        raise HTTPException(
            422, f"network.layers: {len(layers)} layers; the limit is {settings.max_layers}"
        )
    for index, layer in enumerate(layers):
        for key in WIDTH_KEYS:
            value = layer.get(key)
            if isinstance(value, int) and value > settings.max_units:
                raise HTTPException(
                    422,
                    f"network.layers[{index}].{key}: {value} is above the limit of "
                    f"{settings.max_units}",
                )
    if num_params > settings.max_params:
        raise HTTPException(
            422, f"network: {num_params} parameters; the limit is {settings.max_params}"
        )
    batch = int(training.get("batch_size", 0))
    if batch > settings.max_batch_size:
        raise HTTPException(
            422, f"training.batch_size: {batch} is above the limit of {settings.max_batch_size}"
        )
    work = int(training.get("epochs", 0)) * rows
    if work > settings.max_epoch_rows:
        raise HTTPException(
            422,
            f"training.epochs: {training['epochs']} epochs x {rows} rows = {work} is above "
            f"the limit of {settings.max_epoch_rows}",
        )


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
