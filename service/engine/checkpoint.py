"""TrainingState: everything ``fit`` needs to continue a run bit-identically.

Serialised with :meth:`TrainingState.to_payload` as named arrays (weights incl. batchnorm
running statistics, optimizer slots, early-stopping best weights) plus JSON metadata
(epoch, optimizer step and rate, the network Generator state, early-stopping and schedule
state, history). Array names: "weights/<name>", "optimizer/<slot>/<group>", "best/<name>".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

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
