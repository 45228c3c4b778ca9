"""Check a search before it is queued: paths exist, ranges suit their fields, and the
corners of the space go through the job plan, so a bad width is one 422, not N failed trials.

Every refusal is a SpecMismatch located at ("space", path) or at the strategy / objective
field it is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from service.jobs.plan import DatasetSummary, plan_job
from service.jobs.plan_checks import JobLimits, SpecMismatch
from service.schemas.jobs import JobCreate
from service.schemas.network import LAYER_TAGS
from service.schemas.searches import SearchCreate
from service.schemas.training import OPTION_TAGS
from service.search.space import Range, apply, grid_size, parse_path, parse_space, show

TASK_METRICS = {
    "classification": ("val_loss", "val_accuracy", "loss", "accuracy"),
    "regression": ("val_loss", "val_r2", "val_mae", "loss", "r2", "mae"),
}


@dataclass(frozen=True)
class SearchLimits:
    """The server's caps on one search."""

    max_trials: int
    max_parallelism: int


@dataclass(frozen=True)
class CheckedSearch:
    """A search ready to store: the base job spec, its ranges and its trial count."""

    spec: dict[str, Any]
    ranges: list[Range]
    total_trials: int
    objective: dict[str, str]


def check_search(
    body: SearchCreate, dataset: DatasetSummary, limits: JobLimits, search: SearchLimits
) -> CheckedSearch:
    """The checked search, or SpecMismatch saying what and where."""
    spec = {"network": body.network.model_dump(), "training": body.training.model_dump()}
    ranges = parse_space(body.space, spec)
    strategy = body.strategy
    total = _total_trials(strategy.type, strategy.max_trials, ranges, search)
    if strategy.parallelism > search.max_parallelism:
        raise SpecMismatch(
            f"strategy.parallelism: {strategy.parallelism} is above the server's limit of "
            f"{search.max_parallelism}",
            ("strategy", "parallelism"),
        )
    objective = body.objective.resolved()
    allowed = TASK_METRICS.get(dataset.task, ())
    if objective["metric"] not in allowed:
        raise SpecMismatch(
            f"objective.metric: {objective['metric']} is not measured for a {dataset.task} "
            f"dataset; choose one of {', '.join(allowed)}",
            ("objective", "metric"),
        )
    for culprit, values in corners(ranges):
        trial_spec = apply(spec, values)
        if objective["metric"].startswith("val_") and not trial_spec["training"].get(
            "validation_split"
        ):
            where = [p for p in values if p == "training.validation_split"]
            raise SpecMismatch(
                f"objective.metric {objective['metric']} needs a validation split: "
                "training.validation_split must be above 0",
                ("space", where[0]) if where else ("training", "validation_split"),
            )
        check_trial(body.dataset_id, trial_spec, values, dataset, limits, culprit)
    return CheckedSearch(spec, ranges, total, objective)


def _total_trials(kind: str, max_trials: int, ranges: list[Range], search: SearchLimits) -> int:
    if max_trials > search.max_trials:
        raise SpecMismatch(
            f"strategy.max_trials: {max_trials} is above the server's limit of {search.max_trials}",
            ("strategy", "max_trials"),
        )
    if kind != "grid":
        return max_trials
    not_choice = [r.path for r in ranges if r.kind != "choice"]
    if not_choice:
        raise SpecMismatch(
            f"a grid search takes only choices; {not_choice[0]!r} is {{'"
            f"{ranges[[r.path for r in ranges].index(not_choice[0])].kind}': ...}}",
            ("space", not_choice[0]),
        )
    size = grid_size(ranges)
    if size > max_trials:
        raise SpecMismatch(
            f"the grid has {size} points, more than strategy.max_trials ({max_trials}); "
            "raise max_trials or use random or tpe",
            ("strategy", "max_trials"),
        )
    return size


def corners(ranges: list[Range]) -> list[tuple[str | None, dict[str, Any]]]:
    """(the path that changed, values): all at their first corner, then each corner of each
    range alone, then all at their last corner. Single changes come first, so an error
    names the one path that caused it."""
    base = {r.path: r.corners()[0] for r in ranges}
    out: list[tuple[str | None, dict[str, Any]]] = [(None, base)]
    out += [(r.path, {**base, r.path: v}) for r in ranges for v in r.corners()[1:]]
    out.append((None, {r.path: r.corners()[-1] for r in ranges}))
    return out


def check_trial(
    dataset_id: str,
    spec: Mapping[str, Any],
    values: Mapping[str, Any],
    dataset: DatasetSummary,
    limits: JobLimits,
    culprit: str | None = None,
) -> None:
    """One point of the space through the request schema and the job plan; an error names
    `culprit` (the path that changed) or else the path the error's location points at."""
    try:
        JobCreate.model_validate({"dataset_id": dataset_id, **spec})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if p not in LAYER_TAGS | OPTION_TAGS)
        path = _blame(values, loc, culprit)
        raise SpecMismatch(
            f"space[{path!r}] = {values[path]!r} does not suit {show(loc)}: {err['msg']}",
            ("space", path),
        ) from exc
    try:
        plan_job(spec, dataset, limits)
    except SpecMismatch as exc:
        path = _blame(values, exc.loc, culprit)
        raise SpecMismatch(
            f"space[{path!r}] = {values[path]!r}: at {show(exc.loc)}: {exc.message}",
            ("space", path),
        ) from exc


def _blame(values: Mapping[str, Any], loc: tuple[Any, ...], culprit: str | None) -> str:
    """The path whose value the error is about: one at or under `loc`, else the one that
    changed, else the first of all."""
    for path in values:
        parts = parse_path(path)
        if parts[: len(loc)] == tuple(loc) or tuple(loc)[: len(parts)] == parts:
            return path
    return culprit or next(iter(values))
