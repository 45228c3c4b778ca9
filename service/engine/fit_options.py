"""The training options of :func:`~service.engine.training.fit`: :class:`FitOptions`, valid
by construction, plus the task's default loss (:data:`DEFAULT_LOSS`, :func:`resolve_loss`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .early_stopping import EarlyStopping
from .errors import SpecError
from .losses import Loss, get_loss
from .optimizers import Optimizer, build_optimizer
from .regularization import read_regularization
from .schedules import Schedule

TASKS = ("classification", "regression")
DEFAULT_LOSS = {"classification": "cross_entropy", "regression": "mse"}

LossSpec = str | Mapping[str, Any]
Spec = Mapping[str, Any]


def resolve_loss(loss: LossSpec | None, task: str) -> LossSpec:
    """The given loss (a name or {"type": "huber", "delta": ...}), or the task's default name
    when it is None or empty."""
    if task not in TASKS:
        raise SpecError(f"task must be one of {', '.join(TASKS)} (got {task!r})")
    return loss or DEFAULT_LOSS[task]


@dataclass(frozen=True, kw_only=True)
class FitOptions:
    """How :func:`~service.engine.training.fit` trains (everything but data and callbacks).

    Checked when constructed (raises ``SpecError`` naming the option), so an instance is
    valid. Spec dicts are copied; build the run's objects with the ``build_*`` methods.

    - ``loss``: a name or ``{"type": ..., ...}``; None: the task's default (DEFAULT_LOSS).
    - ``optimizer``: a spec dict (a fresh optimizer per fit) or a ready :class:`Optimizer`
      (used as is, so its state carries over between fit calls).
    - ``epochs`` (total, >= 1), ``batch_size`` (>= 1), ``seed`` (>= 0; the epoch
      permutations derive from (seed, epoch)), ``shuffle``; ``start_epoch``: epochs already
      done (runs ``start_epoch + 1 .. epochs``; ignored when fit resumes a TrainingState).
    - ``early_stopping``: {"patience", "min_delta", "restore_best"} or None.
    - ``regularization``: {"l1", "l2"} penalties on weights (not biases or batchnorm) or None.
    - ``gradient_clip_norm``: clip the whole gradient to this global L2 norm (> 0) or None.
    - ``lr_schedule``: a :mod:`.schedules` spec, or None for a constant rate.
    - ``checkpoint_seconds``: None: a checkpoint after every epoch; a number (>= 0): at most
      that often, also between mini-batches, and always after the last epoch and on a stop.
    - ``keep_epoch_weights``: on a stop mid-epoch, roll the network back to the best (with
      restore_best) or last finished epoch.
    - ``target_scale``: regression only, the std (scalar or one per target, > 0) that y was
      divided by; MAE is then reported in y's original units.
    - ``class_weights``: classification only, one weight (> 0) per class index; the loss
      (cross_entropy or binary_cross_entropy) is then the weighted mean over each batch.
    """

    loss: LossSpec | None = None
    optimizer: Spec | Optimizer
    epochs: int
    batch_size: int
    task: str = "classification"
    seed: int = 0
    shuffle: bool = True
    start_epoch: int = 0
    early_stopping: Spec | None = None
    regularization: Spec | None = None
    gradient_clip_norm: float | None = None
    lr_schedule: Spec | None = None
    checkpoint_seconds: float | None = None
    keep_epoch_weights: bool = False
    target_scale: float | tuple[float, ...] | None = None
    class_weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        put("loss", _copy(resolve_loss(self.loss, self.task)))
        put("class_weights", _check_weights(self.class_weights))
        get_loss(self.loss, self.class_weights)
        if not isinstance(self.optimizer, Optimizer):
            put("optimizer", _copy(self.optimizer))
        base_lr = self.build_optimizer().base_learning_rate
        for name, minimum in (("epochs", 1), ("batch_size", 1), ("start_epoch", 0), ("seed", 0)):
            put(name, _check_int(name, getattr(self, name), minimum))
        for name in ("shuffle", "keep_epoch_weights"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise SpecError(f"{name} must be true or false")
            put(name, bool(getattr(self, name)))
        for name in ("early_stopping", "regularization", "lr_schedule"):
            put(name, _copy(getattr(self, name)))
        self.build_early_stopping()
        read_regularization(self.regularization)
        put("gradient_clip_norm", _check_clip(self.gradient_clip_norm))
        self.build_schedule(base_lr)
        put("checkpoint_seconds", _check_seconds(self.checkpoint_seconds))
        put("target_scale", _check_scale(self.target_scale))

    @classmethod
    def from_training_spec(cls, training: Spec, task: str, **extra: Any) -> FitOptions:
        """The options a stored job's training spec asks for; ``extra`` adds the options a
        spec does not hold (checkpoint_seconds, keep_epoch_weights, target_scale).

        Specs stored before an option existed simply lack its key; its default applies."""
        return cls(
            loss=training.get("loss"),
            optimizer=training["optimizer"],
            epochs=training["epochs"],
            batch_size=training["batch_size"],
            task=task,
            seed=training["seed"],
            shuffle=training.get("shuffle", True),
            early_stopping=training.get("early_stopping"),
            regularization=training.get("regularization"),
            gradient_clip_norm=training.get("gradient_clip_norm"),
            lr_schedule=training.get("lr_schedule"),
            **extra,
        )

    def build_loss(self) -> Loss:
        return get_loss(self.loss, self.class_weights)

    def build_optimizer(self) -> Optimizer:
        """The ready optimizer given, or a fresh one from the spec."""
        if isinstance(self.optimizer, Optimizer):
            return self.optimizer
        return build_optimizer(self.optimizer)

    def build_early_stopping(self) -> EarlyStopping | None:
        if self.early_stopping is None:
            return None
        return EarlyStopping.from_spec(self.early_stopping)

    def build_schedule(self, base_learning_rate: float) -> Schedule | None:
        if not self.lr_schedule:
            return None
        return Schedule(self.lr_schedule, base_learning_rate, self.epochs)

    def penalties(self) -> tuple[float, float]:
        """(l1, l2) of the regularization, zeros without it."""
        return read_regularization(self.regularization)


def _copy(spec: Any) -> Any:
    """A shallow copy of a spec dict (the options stay as constructed); other values as is."""
    return dict(spec) if isinstance(spec, Mapping) else spec


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise SpecError(f"{name} must be an integer >= {minimum}")
    return int(value)


def _check_clip(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise SpecError("gradient_clip_norm must be a positive number")
    if not math.isfinite(value):
        raise SpecError("gradient_clip_norm must be finite")
    return float(value)


def _check_seconds(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise SpecError("checkpoint_seconds must be a number >= 0")
    return float(value)


def _positive_numbers(value: Any) -> np.ndarray | None:
    """`value` as a float64 array when every element is a finite number > 0 (and there is at
    least one), else None."""
    try:
        numbers = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    ok = numbers.size > 0 and np.all(np.isfinite(numbers) & (numbers > 0))
    return numbers if ok else None


def _check_scale(value: Any) -> float | tuple[float, ...] | None:
    """None, a positive finite float, or a tuple of them (from a scalar or a 1-D sequence)."""
    if value is None:
        return None
    scale = _positive_numbers(value)
    if scale is None or scale.ndim > 1:
        raise SpecError("target_scale must be a positive number or a list of them")
    return float(scale) if scale.ndim == 0 else tuple(float(s) for s in scale)


def _check_weights(value: Any) -> tuple[float, ...] | None:
    """None, or a tuple of at least 2 positive finite class weights."""
    if value is None:
        return None
    weights = _positive_numbers(value)
    if weights is None or weights.ndim != 1 or weights.size < 2:
        raise SpecError("class_weights must be a list of positive numbers, one per class")
    return tuple(float(w) for w in weights)
