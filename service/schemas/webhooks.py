"""Webhook requests and responses, and the deliveries of their events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from service.events.names import PATTERNS, is_pattern
from service.schemas.common import StrictModel, Timestamp

DeliveryStatus = Literal["pending", "delivered", "failed"]


def _known_event(pattern: str) -> str:
    if not is_pattern(pattern):
        raise PydanticCustomError(
            "unknown_event",
            "{pattern} is not an event; use one of {known}",
            {"pattern": repr(pattern[:64]), "known": ", ".join(PATTERNS)},
        )
    return pattern


EventPattern = Annotated[str, AfterValidator(_known_event)]

WEBHOOK_EXAMPLE = {
    "url": "https://hooks.example.com/backprop",
    "events": ["job.succeeded", "job.failed"],
    "secret": "a-long-random-string-only-you-and-the-receiver-know",
}


class WebhookCreate(StrictModel):
    """POST /v1/webhooks body."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [WEBHOOK_EXAMPLE]})

    url: str = Field(
        min_length=1,
        max_length=2048,
        pattern=r"^[^\s\x00-\x1f\x7f]+$",
        description="http or https URL on a public address; each event is POSTed to it.",
    )
    events: list[EventPattern] = Field(
        min_length=1,
        max_length=len(PATTERNS),
        description="What to send: event names (job.queued, job.running, job.succeeded, "
        "job.failed, job.cancelled), a resource's wildcard (job.*) or * for every event.",
    )
    secret: str = Field(
        min_length=8,
        max_length=256,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Key of the X-Backprop-Signature HMAC-SHA256; write-only (never shown).",
    )

    @field_validator("events")
    @classmethod
    def _once_each(cls, events: list[str]) -> list[str]:
        return list(dict.fromkeys(events))


class WebhookOut(BaseModel):
    """A webhook (its secret is never shown)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    events: list[str]
    created_at: Timestamp


class DeliveryOut(BaseModel):
    """One event sent (or being sent) to a webhook, with its latest attempt."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    event_id: str = Field(description="The event's id, also sent as X-Backprop-Delivery.")
    event: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: Timestamp | None = Field(description="When a pending one is tried next.")
    last_status_code: int | None = Field(description="HTTP status of the latest answer.")
    last_error: str | None = Field(description="Why the latest attempt failed.")
    created_at: Timestamp
    delivered_at: Timestamp | None
