"""Shared shapes: strict request models, unions tagged by `type`, pages, problem details,
timestamps."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import reduce
from typing import Annotated, Any, Generic, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

T = TypeVar("T")


def iso_utc(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, e.g. 2026-11-23T12:00:00.123456Z; naive means UTC."""
    if dt is None:
        return None
    if dt.tzinfo is None:  # SQLite hands back naive UTC
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


Timestamp = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]
"""A datetime rendered as ISO 8601 UTC, e.g. 2026-11-23T12:00:00.123456Z."""


class StrictModel(BaseModel):
    """Request bodies: unknown fields are an error, so clients cannot set server fields;
    no type coercion (``true`` or ``2.0`` is not an integer, ``"3"`` is not a number); and
    numbers must be finite (``Infinity``/``NaN`` are refused before anything is queued).
    Subclasses' ``model_config`` is merged with this one."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def with_examples(*examples: dict[str, Any], response: bool = False) -> ConfigDict:
    """A model's config publishing ``examples`` in the OpenAPI document; request models
    refuse unknown keys, responses (``response=True``) keep pydantic's default."""
    extra = {} if response else {"extra": "forbid"}
    return ConfigDict(**extra, json_schema_extra={"examples": list(examples)})


def type_tag(model: type[BaseModel]) -> str:
    """The `type` literal of a union member: DenseLayer -> "dense"."""
    return get_args(model.model_fields["type"].annotation)[0]


def tagged_union(models: Sequence[type[BaseModel]]) -> Any:
    """``models[0] | models[1] | ...`` discriminated by their `type` field, so one list of
    models is the whole union (a single model is itself)."""
    if len(models) == 1:
        return models[0]
    return Annotated[reduce(operator.or_, models), Field(discriminator="type")]


class Page(BaseModel, Generic[T]):
    """A page of a list: items plus the total and the window asked for."""

    items: list[T]
    total: int
    limit: int
    offset: int


class Problem(BaseModel):
    """Error body (application/problem+json): what is wrong and where."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None
