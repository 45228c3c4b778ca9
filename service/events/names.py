"""The event catalogue and subscription patterns: "<resource>.<what happened>".

A webhook subscribes with exact names ("job.succeeded"), a resource's wildcard ("job.*") or
"*" (everything, including resources added later). A new resource (e.g. "search" once
searches exist) is one more entry in EVENTS.
"""

from __future__ import annotations

EVENTS: dict[str, tuple[str, ...]] = {
    "job": ("queued", "running", "succeeded", "failed", "cancelled"),
}
EVENT_NAMES: tuple[str, ...] = tuple(f"{r}.{what}" for r, whats in EVENTS.items() for what in whats)
PATTERNS: tuple[str, ...] = ("*", *(f"{r}.*" for r in EVENTS), *EVENT_NAMES)


def is_pattern(pattern: str) -> bool:
    """Whether a webhook may subscribe with `pattern`."""
    return pattern in PATTERNS


def matches(patterns: list[str], event: str) -> bool:
    """Whether a webhook subscribed with `patterns` gets `event`."""
    resource = event.split(".", 1)[0]
    return any(p in ("*", f"{resource}.*", event) for p in patterns)
