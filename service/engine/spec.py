"""Small helpers to validate JSON-ish spec dicts and raise :class:`SpecError`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import SpecError


class SpecReader:
    """Reads typed values out of one spec dict, raising ``SpecError`` with context."""

    def __init__(
        self, spec: Mapping[str, Any], index: int | None, kind: str | None, prefix: str = ""
    ) -> None:
        self.index = index
        self.kind = kind
        self.prefix = prefix
        if not isinstance(spec, Mapping):
            raise self.error("spec must be an object")
        self.spec = spec

    def error(self, message: str) -> SpecError:
        """A ``SpecError`` carrying this reader's layer index/type (or message prefix)."""
        return SpecError(self.prefix + message, self.index, self.kind)

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed) | {"type"}
        unknown = sorted(set(self.spec) - allowed)
        if unknown:
            raise self.error(
                f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: "
                f"{', '.join(sorted(allowed))}"
            )

    def has(self, key: str) -> bool:
        return key in self.spec and self.spec[key] is not None

    def positive_int(self, key: str, default: int | None = None) -> int:
        value = self.spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.error(f"{key} must be a positive integer")
        return value

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        low: float | None = None,
        high: float | None = None,
        low_inclusive: bool = True,
        high_inclusive: bool = True,
    ) -> float:
        """A finite real in the given range (inclusive bounds unless told otherwise)."""
        value = self.spec.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.error(f"{key} must be a finite number")
        value = float(value)
        bad = (low is not None and (value < low or (value == low and not low_inclusive))) or (
            high is not None and (value > high or (value == high and not high_inclusive))
        )
        if bad:
            lo = "(" if not low_inclusive else "["
            hi = ")" if not high_inclusive else "]"
            rng = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
            raise self.error(f"{key} must be in {rng}")
        return value

    def int_pair(self, key: str, default: int | tuple[int, int] | None = None) -> tuple[int, int]:
        """A positive int ``k`` (-> (k, k)) or a list of two positive ints."""
        value = self.spec.get(key, default)
        if value is None:
            value = default
        if isinstance(value, int) and not isinstance(value, bool):
            value = (value, value)
        if (
            not isinstance(value, list | tuple)
            or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in value)
        ):
            raise self.error(f"{key} must be a positive integer or a list of two")
        return int(value[0]), int(value[1])

    def boolean(self, key: str, default: bool) -> bool:
        value = self.spec.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"{key} must be true or false")
        return value

    def choice(self, key: str, options: Iterable[str], default: str | None = None) -> str | None:
        value = self.spec.get(key, default)
        options = list(options)
        if value is None and default is None:
            return None
        if not isinstance(value, str) or value not in options:
            raise self.error(f"{key} must be one of {', '.join(options)} (got {value!r})")
        return value
