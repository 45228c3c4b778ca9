"""TrainingState: everything ``fit`` needs to continue a run bit-identically; taking one
from a run and putting one back (:class:`TrainingParts`), and when (:class:`Checkpointer`).

Serialised with :meth:`TrainingState.to_payload` as named arrays (weights incl. batchnorm
running statistics, optimizer slots, early-stopping best weights) plus JSON metadata
(epoch, optimizer step and rate, the network Generator state, early-stopping and schedule
state, history). Array names: "weights/<name>", "optimizer/<slot>/<group>", "best/<name>".
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .early_stopping import EarlyStopping
from .errors import SpecError
from .network import Network
from .optimizers import Optimizer
from .records import EpochRecord, FitResult
from .schedules import Schedule

FORMAT_VERSION = 1
_BIG = 2**53


def _encode(value: Any) -> Any:
    """Generator state -> JSON: ints beyond 2**53 become {"int": "<digits>"}."""
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        return value
    return {"int": str(int(value))} if abs(int(value)) >= _BIG else int(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"int"}:
            return int(value["int"])
        return {k: _decode(v) for k, v in value.items()}
    return value


@dataclass
class TrainingState:
    """State after ``epoch`` completed epochs.

    weights: Network.get_weights(); optimizer: Optimizer.state_dict(); rng_state: the
    network Generator's ``bit_generator.state``; early_stopping: {"best", "best_epoch",
    "wait", "best_weights"} or None; schedule: Schedule.state_dict() or None; history:
    EpochRecord dicts; best_epoch / stopped as in FitResult."""

    epoch: int
    weights: dict[str, np.ndarray]
    optimizer: dict[str, Any]
    rng_state: dict[str, Any]
    early_stopping: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    stopped: str | None = None
    batch: int = 0
    """Mini-batches already done in epoch ``epoch + 1`` (0: at an epoch boundary)."""
    partial: dict[str, Any] | None = None
    """That epoch's running sums so far: {"total", "seen", "seconds", "acc"}."""

    def to_payload(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """(arrays, JSON-serialisable metadata); arrays are copies."""
        arrays = {f"weights/{k}": np.array(v) for k, v in self.weights.items()}
        opt_meta: dict[str, Any] = {}
        for k, v in self.optimizer.items():
            if isinstance(v, np.ndarray):
                arrays[f"optimizer/{k}"] = np.array(v)
            else:
                opt_meta[k] = v
        es_meta = None
        if self.early_stopping is not None:
            es = self.early_stopping
            best = es.get("best", math.inf)
            es_meta = {
                "best": None if best is None or math.isinf(best) else float(best),
                "best_epoch": es.get("best_epoch"),
                "wait": int(es.get("wait", 0)),
                "has_best_weights": es.get("best_weights") is not None,
            }
            for k, v in (es.get("best_weights") or {}).items():
                arrays[f"best/{k}"] = np.array(v)
        meta = {
            "version": FORMAT_VERSION,
            "epoch": int(self.epoch),
            "optimizer": opt_meta,
            "rng_state": _encode(self.rng_state),
            "early_stopping": es_meta,
            "schedule": self.schedule,
            "history": list(self.history),
            "best_epoch": self.best_epoch,
            "stopped": self.stopped,
            "batch": int(self.batch),
            "partial": self.partial,
        }
        return arrays, meta

    @classmethod
    def from_payload(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> TrainingState:
        """Inverse of :meth:`to_payload` (raises ValueError on an unknown format)."""
        if meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported training-state version {meta.get('version')!r}")
        groups: dict[str, dict[str, np.ndarray]] = {"weights": {}, "optimizer": {}, "best": {}}
        for key, value in arrays.items():
            group, sep, name = key.partition("/")
            if not sep or group not in groups:
                raise ValueError(f"unexpected training-state array {key!r}")
            groups[group][name] = np.array(value)
        es = None
        if meta.get("early_stopping") is not None:
            m = meta["early_stopping"]
            es = {
                "best": math.inf if m.get("best") is None else float(m["best"]),
                "best_epoch": m.get("best_epoch"),
                "wait": int(m.get("wait", 0)),
                "best_weights": groups["best"] if m.get("has_best_weights") else None,
            }
        return cls(
            epoch=int(meta["epoch"]),
            weights=groups["weights"],
            optimizer={**meta.get("optimizer", {}), **groups["optimizer"]},
            rng_state=_decode(meta["rng_state"]),
            early_stopping=es,
            schedule=meta.get("schedule"),
            history=list(meta.get("history", [])),
            best_epoch=meta.get("best_epoch"),
            stopped=meta.get("stopped"),
            batch=int(meta.get("batch", 0)),
            partial=meta.get("partial"),
        )


@dataclass
class TrainingParts:
    """The stateful parts of one fit run, which a :class:`TrainingState` captures."""

    net: Network
    optimizer: Optimizer
    stopper: EarlyStopping | None
    schedule: Schedule | None
    result: FitResult

    def snapshot(
        self, epoch: int, batch: int = 0, partial: dict[str, Any] | None = None
    ) -> TrainingState:
        """The state after ``epoch`` finished epochs and ``batch`` mini-batches of the next
        (whose running sums are ``partial``); arrays are copies."""
        stopper, schedule, result = self.stopper, self.schedule, self.result
        return TrainingState(
            batch=batch,
            partial=partial,
            epoch=epoch,
            weights=self.net.get_weights(),
            optimizer=self.optimizer.state_dict(),
            rng_state=copy.deepcopy(self.net.rng.bit_generator.state),
            early_stopping=stopper.state_dict() if stopper is not None else None,
            schedule=schedule.state_dict() if schedule is not None else None,
            history=[r.to_dict() for r in result.history],
            best_epoch=result.best_epoch,
            stopped=result.stopped,
        )

    def restore(self, state: TrainingState) -> int:
        """Load ``state`` into the parts; returns the number of completed epochs."""
        try:
            self.net.set_weights(state.weights)
            self.optimizer.load_state_dict(state.optimizer)
        except ValueError as exc:
            raise SpecError(
                f"cannot resume: the saved state does not fit this run ({exc})"
            ) from None
        self.net.rng.bit_generator.state = copy.deepcopy(state.rng_state)
        if self.stopper is not None and state.early_stopping is not None:
            self.stopper.load_state_dict(state.early_stopping)
        if self.schedule is not None and state.schedule is not None:
            self.schedule.load_state_dict(state.schedule)
        result = self.result
        result.history = [EpochRecord(**d) for d in state.history]
        result.best_epoch = state.best_epoch
        result.stopped = state.stopped if state.stopped == "early_stopping" else None
        return int(state.epoch)


class Checkpointer:
    """Hands snapshots of ``parts`` to ``on_checkpoint`` (when given).

    ``seconds`` None: after every epoch. A number: at most that often (after an epoch or
    between two mini-batches, see :meth:`due`), and always after the last epoch and when
    a stop ends the run."""

    def __init__(
        self,
        parts: TrainingParts,
        on_checkpoint: Callable[[TrainingState], None] | None,
        seconds: float | None,
    ) -> None:
        self.parts, self.on_checkpoint, self.seconds = parts, on_checkpoint, seconds
        self.throttled = seconds is not None and on_checkpoint is not None
        self.last = time.perf_counter()

    def due(self) -> bool:
        """Throttled and ``seconds`` have passed since the last checkpoint."""
        return self.throttled and time.perf_counter() - self.last >= self.seconds

    def save(self, epoch: int, batch: int = 0, partial: dict[str, Any] | None = None) -> None:
        """A checkpoint now (``on_checkpoint`` must be set)."""
        self.last = time.perf_counter()
        self.on_checkpoint(self.parts.snapshot(epoch, batch, partial))

    def after_epoch(self, epoch: int, final: bool) -> None:
        """After finished epoch ``epoch``; ``final``: no epoch follows."""
        if self.on_checkpoint is not None and (not self.throttled or final or self.due()):
            self.save(epoch)

    def on_stop(self, epoch: int, batch: int, partial: dict[str, Any]) -> None:
        """A stop ends the run at ``batch`` of epoch ``epoch + 1`` (throttled only)."""
        if self.throttled:
            self.save(epoch, batch, partial)
