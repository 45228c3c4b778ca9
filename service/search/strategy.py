"""Optuna's samplers and pruners for a stored search, and the study rebuilt from trials.

The service's database is the source of truth: nothing of Optuna is stored. Each decision
rebuilds an in-memory study from the trials' rows (params, states, values, the pruner's
rung records) and asks or judges once. A trial's sampler is seeded from (seed, trial
number), so random and grid searches give the same params for the same seed whatever the
order trials end in; TPE's are the same given the same finished trials (always, when
parallelism is 1).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
from optuna.pruners import BasePruner, MedianPruner, NopPruner, SuccessiveHalvingPruner
from optuna.samplers import BaseSampler, GridSampler, RandomSampler, TPESampler
from optuna.storages import InMemoryStorage
from optuna.trial import FrozenTrial, TrialState, create_trial

from service.search.space import Range

optuna.logging.set_verbosity(logging.WARNING)

STATES = {
    "queued": TrialState.RUNNING,  # asked for: TPE's constant liar counts it as pending
    "running": TrialState.RUNNING,
    "succeeded": TrialState.COMPLETE,
    "failed": TrialState.FAIL,
    "cancelled": TrialState.FAIL,
    "pruned": TrialState.PRUNED,
}
RUNG_PREFIX = "completed_rung_"


@dataclass
class TrialRecord:
    """What the scheduler knows of one trial, read from its job row and epoch rows."""

    number: int
    status: str
    internal: dict[str, Any]
    """The sampler's values by path (a choice's index)."""
    rungs: dict[str, float] = field(default_factory=dict)
    """The pruner's completed rungs (SuccessiveHalvingPruner's system attrs)."""
    value: float | None = None
    intermediate: dict[int, float] = field(default_factory=dict)
    """The objective at each epoch (1-based), where read."""


def trial_seed(seed: int, number: int) -> int:
    """A 32-bit seed for trial `number` of a search seeded with `seed`."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


def make_sampler(strategy: dict[str, Any], ranges: list[Range], number: int) -> BaseSampler:
    """The sampler that picks trial `number`'s params."""
    kind, seed = strategy["type"], int(strategy.get("seed", 0))
    if kind == "grid":  # trial n takes point n of the grid shuffled by the seed
        return GridSampler({r.path: list(range(len(r.choices))) for r in ranges}, seed=seed)
    if kind == "tpe":
        startup = max(2, min(10, int(strategy["max_trials"]) // 3))
        return TPESampler(seed=trial_seed(seed, number), n_startup_trials=startup)
    return RandomSampler(seed=trial_seed(seed, number))


def make_pruner(pruning: dict[str, Any] | None) -> BasePruner:
    """asha: SuccessiveHalvingPruner; median: MedianPruner; none: never prune."""
    if not pruning:
        return NopPruner()
    if pruning["type"] == "asha":
        return SuccessiveHalvingPruner(
            min_resource=int(pruning["min_epochs"]),
            reduction_factor=int(pruning["reduction_factor"]),
        )
    return MedianPruner(
        n_startup_trials=int(pruning.get("startup_trials", 3)),
        n_warmup_steps=int(pruning["min_epochs"]),  # judged from epoch min_epochs on
    )


def judges_at(pruning: dict[str, Any] | None, epoch: int) -> bool:
    """Whether the pruner can stop a trial at `epoch` (1-based): ASHA only at its rungs
    (min_epochs * reduction_factor**k), median at every epoch from min_epochs on."""
    if not pruning:
        return False
    rung = int(pruning["min_epochs"])
    if pruning["type"] != "asha":
        return epoch >= rung
    while rung < epoch:
        rung *= int(pruning["reduction_factor"])
    return rung == epoch


def _frozen(record: TrialRecord, ranges: list[Range]) -> FrozenTrial:
    state = STATES[record.status]
    value = record.value
    if state == TrialState.COMPLETE and (value is None or not math.isfinite(value)):
        state, value = TrialState.FAIL, None
    return create_trial(
        state=state,
        value=value if state == TrialState.COMPLETE else None,
        params=record.internal,
        distributions={r.path: r.distribution() for r in ranges},
        system_attrs=dict(record.rungs),
        intermediate_values={
            e: v for e, v in record.intermediate.items() if v is not None and math.isfinite(v)
        },
    )


def build_study(
    direction: str,
    ranges: list[Range],
    trials: list[TrialRecord],
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> optuna.Study:
    """An in-memory study holding `trials` (numbered 0..n-1 in order)."""
    study = optuna.create_study(
        storage=InMemoryStorage(), sampler=sampler, pruner=pruner, direction=direction
    )
    for record in sorted(trials, key=lambda t: t.number):
        study.add_trial(_frozen(record, ranges))
    return study


def ask(
    strategy: dict[str, Any], direction: str, ranges: list[Range], trials: list[TrialRecord]
) -> dict[str, Any]:
    """The internal params of trial number len(trials)."""
    sampler = make_sampler(strategy, ranges, len(trials))
    study = build_study(direction, ranges, trials, sampler=sampler)
    trial = study.ask({r.path: r.distribution() for r in ranges})
    assert trial.number == len(trials), (trial.number, len(trials))
    return dict(trial.params)


def judge(
    pruning: dict[str, Any],
    direction: str,
    ranges: list[Range],
    others: list[TrialRecord],
    trial: TrialRecord,
    after_epoch: int,
) -> tuple[int | None, dict[str, float]]:
    """Ask the pruner about each epoch of `trial` after `after_epoch`, in order, as if it
    reported them one by one. Returns (the epoch it was pruned at, or None; its rungs)."""
    pruner = make_pruner(pruning)
    study = build_study(direction, ranges, others, pruner=pruner)
    earlier = {e: v for e, v in trial.intermediate.items() if e <= after_epoch}
    study.add_trial(_frozen(TrialRecord(**{**trial.__dict__, "intermediate": earlier}), ranges))
    storage = study._storage
    trial_id = storage.get_all_trials(study._study_id, deepcopy=False)[-1]._trial_id
    pruned_at = None
    for epoch in sorted(e for e in trial.intermediate if e > after_epoch):
        value = trial.intermediate[epoch]
        storage.set_trial_intermediate_value(trial_id, epoch, float(value))
        if pruner.prune(study, storage.get_trial(trial_id)):
            pruned_at = epoch
            break
    attrs = storage.get_trial(trial_id).system_attrs
    rungs = {k: float(v) for k, v in attrs.items() if k.startswith(RUNG_PREFIX)}
    return pruned_at, rungs
