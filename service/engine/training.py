"""Mini-batch training loop: :func:`fit`, with per-epoch records and early stopping."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .early_stopping import EarlyStopping
from .errors import SpecError, TrainingDiverged
from .losses import get_loss
from .metrics import ClassificationAccumulator, RegressionAccumulator
from .network import Network
from .optimizers import Optimizer, build_optimizer

TASKS = ("classification", "regression")


@dataclass
class EpochRecord:
    """Summary of one epoch. ``epoch`` is 1-based; ``seconds`` is the epoch's wall time
    (including validation); ``samples_per_second`` is training throughput."""

    epoch: int
    loss: float
    val_loss: float | None
    metrics: dict[str, float]
    seconds: float
    samples_per_second: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FitResult:
    """``stopped`` is "cancelled", "early_stopping" or None (ran all epochs).

    ``best_epoch`` is the epoch with the lowest monitored loss (val_loss, else train loss)
    when early stopping is configured (with ``restore_best`` the network holds that epoch's
    weights on return); ``None`` without early stopping."""

    history: list[EpochRecord] = field(default_factory=list)
    stopped: str | None = None
    best_epoch: int | None = None


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise SpecError(f"{name} must be an integer >= {minimum}")
    return int(value)


def _epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """Shuffling Generator for one epoch, derived from (seed, epoch) so that resuming at
    ``start_epoch`` reproduces the same permutations without saved state."""
    return np.random.default_rng((seed, epoch))


def fit(
    net: Network,
    X: np.ndarray,
    y: np.ndarray,
    *,
    loss: str,
    optimizer: Mapping[str, Any] | Optimizer,
    epochs: int,
    batch_size: int,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    task: str = "classification",
    seed: int = 0,
    shuffle: bool = True,
    early_stopping: Mapping[str, Any] | None = None,
    on_epoch_end: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    start_epoch: int = 0,
) -> FitResult:
    """Train ``net`` in place on X: (N, *input_shape), y (see ``losses`` for conventions).

    Runs epochs ``start_epoch + 1 .. epochs`` (``epochs`` is the total, so a resumed run
    passes the epoch it stopped at). ``optimizer`` is a spec dict or a ready (possibly
    state-loaded) :class:`Optimizer`. Raises ``SpecError`` for bad arguments and
    ``TrainingDiverged`` when a loss becomes NaN/inf. The optimizer is stepped on the
    network's single flat parameter group (state keys like "m/params").
    """
    loss_fn = get_loss(loss)
    opt = optimizer if isinstance(optimizer, Optimizer) else build_optimizer(optimizer)
    epochs = _check_int("epochs", epochs, 1)
    batch_size = _check_int("batch_size", batch_size, 1)
    start_epoch = _check_int("start_epoch", start_epoch, 0)
    seed = _check_int("seed", seed, 0)
    if task not in TASKS:
        raise SpecError(f"task must be one of {', '.join(TASKS)} (got {task!r})")
    stopper = EarlyStopping.from_spec(early_stopping) if early_stopping is not None else None

    X = net.as_input(X)
    Y = loss_fn.prepare_targets(y, net.output_shape, net.dtype)
    n = X.shape[0]
    if n == 0 or Y.shape[0] != n:
        raise SpecError(f"X has {n} samples but y has {Y.shape[0]}; need the same, at least 1")
    has_val = X_val is not None
    if has_val:
        if y_val is None:
            raise SpecError("X_val given without y_val")
        Xv = net.as_input(X_val)
        Yv = loss_fn.prepare_targets(y_val, net.output_shape, net.dtype)
        if Xv.shape[0] != Yv.shape[0] or Xv.shape[0] == 0:
            raise SpecError("X_val and y_val must have the same, non-zero number of samples")

    fused = loss_fn.fuses_with is not None and loss_fn.fuses_with == net.output_activation
    grad_fn = loss_fn.fused_grad if fused else loss_fn.grad
    Acc = ClassificationAccumulator if task == "classification" else RegressionAccumulator
    params, grads = net.flat_parameters(), net.flat_gradients()

    result = FitResult()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(start_epoch + 1, epochs + 1):
            t0 = time.perf_counter()
            if shuffle:
                perm = _epoch_rng(seed, epoch).permutation(n)
                Xe, Ye = X[perm], Y[perm]
            else:
                Xe, Ye = X, Y
            total, seen, acc = 0.0, 0, Acc()
            for start in range(0, n, batch_size):
                if should_stop is not None and should_stop():
                    result.stopped = "cancelled"
                    return result
                xb, yb = Xe[start : start + batch_size], Ye[start : start + batch_size]
                out = net.forward(xb, training=True)
                value = loss_fn.value(out, yb)
                if not math.isfinite(value):
                    raise TrainingDiverged(epoch, value, result.history)
                acc.update(out, yb)
                net.backward(grad_fn(out, yb), skip_output_activation=fused, need_input_grad=False)
                opt.step(params, grads)
                total += value * xb.shape[0]
                seen += xb.shape[0]
            train_seconds = time.perf_counter() - t0
            metrics = acc.result()
            val_loss = None
            if has_val:
                out_v = net.predict(Xv, batch_size=max(batch_size, 1024))
                val_loss = loss_fn.value(out_v, Yv)
                if not math.isfinite(val_loss):
                    raise TrainingDiverged(epoch, val_loss, result.history)
                vacc = Acc()
                vacc.update(out_v, Yv)
                metrics.update(vacc.result("val_"))
            train_loss = total / seen
            seconds = time.perf_counter() - t0
            record = EpochRecord(
                epoch=epoch,
                loss=train_loss,
                val_loss=val_loss,
                metrics=metrics,
                seconds=seconds,
                samples_per_second=seen / train_seconds if train_seconds > 0 else 0.0,
            )
            result.history.append(record)
            if on_epoch_end is not None:
                on_epoch_end(record)

            if stopper is None:
                continue
            monitored = val_loss if val_loss is not None else train_loss
            stop = stopper.update(epoch, monitored, net.get_weights)
            result.best_epoch = stopper.best_epoch
            if stop:
                result.stopped = "early_stopping"
                break

    if stopper is not None and stopper.best_weights is not None:
        last = result.history[-1].epoch if result.history else None
        if stopper.best_epoch != last:
            net.set_weights(stopper.best_weights)
    return result
