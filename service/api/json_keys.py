"""Duplicate keys in a JSON body: `{"X": [...], "X": [...]}` is refused, never half-read."""

from __future__ import annotations

import json
from typing import Any


class DuplicateKey(ValueError):
    """A JSON object names the same key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def duplicate_key(body: bytes) -> str | None:
    """The first key an object of the JSON text repeats, or None (also for text that is
    not JSON: its parser reports that). A body with at most one quoted string, such as a
    predict body of numbers, has at most one key and is answered without parsing."""
    if body.count(b'"') <= 2:
        return None
    try:
        json.loads(body, object_pairs_hook=_pairs)
    except DuplicateKey as exc:
        return exc.key
    except (ValueError, RecursionError):
        return None
    return None
