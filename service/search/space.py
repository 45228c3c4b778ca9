"""A search space: {path: range} over a job body, parsed, checked and applied.

Paths address the job body like `training.optimizer.learning_rate` or
`network.layers[1].units`; ranges are {"choice": [...]}, {"uniform": [lo, hi]},
{"loguniform": [lo, hi]} or {"int": [lo, hi], "step": s}. Every error is a SpecMismatch
located at ("space", path).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from service.jobs.plan_checks import SpecMismatch

KINDS = ("choice", "uniform", "loguniform", "int")
MAX_CHOICES = 100
_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d{1,4}\])*)")

Part = str | int


@dataclass(frozen=True)
class Range:
    """One parameter: where it goes (`parts`) and what values it takes."""

    path: str
    parts: tuple[Part, ...]
    kind: str
    bounds: tuple[float, float] | None = None
    step: int = 1
    choices: tuple[Any, ...] = ()

    def distribution(self) -> BaseDistribution:
        """The Optuna distribution; a choice samples its index (choices may be objects)."""
        if self.kind == "choice":
            return CategoricalDistribution(list(range(len(self.choices))))
        lo, hi = self.bounds or (0.0, 0.0)
        if self.kind == "int":
            return IntDistribution(int(lo), int(hi), step=self.step)
        return FloatDistribution(lo, hi, log=self.kind == "loguniform")

    def value(self, internal: Any) -> Any:
        """The job-body value of a sampled internal value (a choice's index -> the choice)."""
        return copy.deepcopy(self.choices[int(internal)]) if self.kind == "choice" else internal

    def corners(self) -> list[Any]:
        """Values a valid space must allow: every choice, or both ends of a range."""
        if self.kind == "choice":
            return list(self.choices)
        lo, hi = self.bounds or (0.0, 0.0)
        if self.kind == "int":
            hi = lo + (hi - lo) // self.step * self.step
            return [int(lo), int(hi)]
        return [lo, hi]


def parse_path(path: str) -> tuple[Part, ...]:
    """ "network.layers[1].units" -> ("network", "layers", 1, "units")."""
    parts: list[Part] = []
    for piece in path.split("."):
        match = _PART.fullmatch(piece)
        if match is None:
            raise SpecMismatch(
                f"space path {path!r} is not of the form a.b[1].c (names and [index])",
                ("space", path),
            )
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(parts)


def show(parts: tuple[Part, ...]) -> str:
    """("network", "layers", 1) -> "network.layers[1]"."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def check_exists(body: Mapping[str, Any], path: str, parts: tuple[Part, ...]) -> None:
    """SpecMismatch naming the path unless every step of it exists in `body`."""
    node: Any = body
    for i, part in enumerate(parts):
        where = show(parts[:i]) or "the job body"
        if isinstance(part, int):
            if not isinstance(node, list):
                raise SpecMismatch(f"space path {path!r}: {where} is not a list", ("space", path))
            if part >= len(node):
                raise SpecMismatch(
                    f"space path {path!r}: {where} has {len(node)} entries (indices 0 to "
                    f"{len(node) - 1})",
                    ("space", path),
                )
        else:
            if not isinstance(node, dict) or part not in node:
                raise SpecMismatch(
                    f"space path {path!r}: {where} has no field {part!r}", ("space", path)
                )
            if node[part] is None and i < len(parts) - 1:
                raise SpecMismatch(
                    f"space path {path!r}: {show(parts[: i + 1])} is null in the job body; "
                    "give it a value to search inside it",
                    ("space", path),
                )
        node = node[part]


def parse_range(path: str, spec: Any) -> Range:
    """A validated Range for `spec` (bounds ordered, finite, positive for loguniform)."""
    loc = ("space", path)
    parts = parse_path(path)
    if not isinstance(spec, dict) or len({k for k in spec if k in KINDS}) != 1:
        raise SpecMismatch(
            f"space[{path!r}] must be one of {{'choice': [...]}}, {{'uniform': [lo, hi]}}, "
            "{'loguniform': [lo, hi]} or {'int': [lo, hi], 'step': s}",
            loc,
        )
    kind = next(k for k in spec if k in KINDS)
    extra = set(spec) - {kind} - ({"step"} if kind == "int" else set())
    if extra:
        raise SpecMismatch(f"space[{path!r}]: unknown key(s) {sorted(extra)}", loc)
    values = spec[kind]
    if kind == "choice":
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_CHOICES:
            raise SpecMismatch(
                f"space[{path!r}].choice must be a list of 1 to {MAX_CHOICES} values", loc
            )
        return Range(path, parts, kind, choices=tuple(values))
    if (
        not isinstance(values, list)
        or len(values) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        or not all(math.isfinite(v) for v in values)
    ):
        raise SpecMismatch(f"space[{path!r}].{kind} must be [lo, hi], two finite numbers", loc)
    lo, hi = values
    if not lo < hi:
        raise SpecMismatch(f"space[{path!r}].{kind}: lo ({lo}) must be below hi ({hi})", loc)
    if kind == "loguniform" and lo <= 0:
        raise SpecMismatch(f"space[{path!r}].loguniform: lo must be above 0, not {lo}", loc)
    step = spec.get("step", 1)
    if kind == "int":
        if not all(isinstance(v, int) for v in values):
            raise SpecMismatch(f"space[{path!r}].int: lo and hi must be integers", loc)
        if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= hi - lo:
            raise SpecMismatch(f"space[{path!r}].step must be an integer in [1, hi - lo]", loc)
    return Range(path, parts, kind, bounds=(lo, hi), step=step)


def parse_space(space: Mapping[str, Any], body: Mapping[str, Any]) -> list[Range]:
    """Ranges in path order, each checked against the job body it will be applied to."""
    if not space:
        raise SpecMismatch("space must name at least one path", ("space",))
    ranges = []
    for path in sorted(space):
        item = parse_range(path, space[path])
        check_exists(body, path, item.parts)
        ranges.append(item)
    for a in ranges:
        for b in ranges:
            if a is not b and b.parts[: len(a.parts)] == a.parts:
                raise SpecMismatch(
                    f"space paths {a.path!r} and {b.path!r} overlap; search one of them",
                    ("space", b.path),
                )
    return ranges


def apply(body: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `body` with each path set to its value ({path: value})."""
    out = copy.deepcopy(dict(body))
    for path, value in values.items():
        parts = parse_path(path)
        node: Any = out
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = copy.deepcopy(value)
    return out


def grid_size(ranges: list[Range]) -> int:
    """How many points the product of the choices has."""
    return math.prod(len(r.choices) for r in ranges)
