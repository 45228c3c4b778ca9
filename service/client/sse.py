"""Server-sent events: the parser of a job's event stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Event:
    """One server-sent event: its type, id (the epoch for `epoch` events) and decoded data."""

    event: str
    id: str | None
    data: Any


def parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    """Server-sent events from text lines (comments and `retry:` are skipped)."""
    event, event_id, data = "message", None, []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                text = "\n".join(data)
                try:
                    value: Any = json.loads(text)
                except json.JSONDecodeError:
                    value = text
                yield Event(event, event_id, value)
            event, event_id, data = "message", None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event = value
        elif field == "id":
            event_id = value
        elif field == "data":
            data.append(value)
