"""Mini-batch training loop: :func:`fit`, with per-epoch records, regularisation, gradient
clipping, learning-rate schedules, early stopping and checkpoint/resume."""

from __future__ import annotations

import copy
import functools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .batches import Transform, evaluate, make_sources
from .checkpoint import TrainingState
from .early_stopping import EarlyStopping
from .errors import SpecError, TrainingDiverged
from .losses import get_loss
from .metrics import ClassificationAccumulator, RegressionAccumulator
from .network import Network
from .optimizers import Optimizer, build_optimizer
from .regularization import add_penalty_grad, clip_by_global_norm, read_regularization
from .schedules import Schedule

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
    restored_epoch: int | None = None
    """The epoch whose weights the network holds when restore_best put them back."""


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
    loss: str | Mapping[str, Any],
    optimizer: Mapping[str, Any] | Optimizer,
    epochs: int,
    batch_size: int,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    train_index: np.ndarray | None = None,
    val_index: np.ndarray | None = None,
    batch_transform: Transform | None = None,
    task: str = "classification",
    seed: int = 0,
    shuffle: bool = True,
    early_stopping: Mapping[str, Any] | None = None,
    regularization: Mapping[str, Any] | None = None,
    gradient_clip_norm: float | None = None,
    lr_schedule: Mapping[str, Any] | None = None,
    on_epoch_end: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    start_epoch: int = 0,
    resume: TrainingState | None = None,
    on_checkpoint: Callable[[TrainingState], None] | None = None,
    checkpoint_seconds: float | None = None,
    target_scale: np.ndarray | float | None = None,
    keep_epoch_weights: bool = False,
) -> FitResult:
    """Train ``net`` in place on X: (N, *input_shape), y (see ``losses`` for conventions).

    Runs epochs ``start_epoch + 1 .. epochs`` (``epochs`` is the total). ``optimizer`` is a
    spec dict or a ready :class:`Optimizer`; ``loss`` a name or ``{"type": ..., ...}``.
    Per mini-batch: forward, backward, ``regularization`` ({"l1", "l2"}: adds
    ``l1*sign(w) + 2*l2*w`` to the gradients of weights, not biases or batchnorm
    parameters; the reported loss excludes the penalty), clipping of the whole gradient to
    global norm ``gradient_clip_norm``, optimizer step. ``lr_schedule`` (see
    :mod:`.schedules`) sets the optimizer's rate before each epoch.

    ``resume`` continues from a :class:`TrainingState` (weights, optimizer, dropout RNG,
    early stopping, schedule and history restored; ``start_epoch`` is then ignored) and
    ``on_checkpoint`` receives one after each completed epoch (after ``on_epoch_end``);
    interrupted-and-resumed training is bit-identical to uninterrupted training, and the
    returned history includes the resumed epochs. Raises ``SpecError`` for bad arguments
    and ``TrainingDiverged`` when a loss becomes NaN/inf.

    Data is never copied per epoch or per batch: each epoch draws one permutation and each
    batch's rows are gathered into reused buffers. With ``train_index`` (1-D row numbers),
    X and y are the whole dataset (X may be a read-only ``np.memmap``; it is not converted
    as a whole) and training uses rows ``X[train_index]``; ``val_index`` likewise selects
    the validation rows (instead of X_val/y_val), evaluated in batches. ``batch_transform``
    maps each gathered (k, *input_shape) batch, train and validation, before the forward
    pass (e.g. standardisation); results equal training on the materialised, transformed
    arrays. Validation runs in chunks of ``max(batch_size, 1024)`` rows.

    ``checkpoint_seconds``: None calls ``on_checkpoint`` after every epoch. A number calls it
    at most that often instead: after an epoch or between two mini-batches of a long epoch
    (a mid-epoch state resumes at its batch), and always after the last epoch and when
    ``should_stop`` ends the run. ``should_stop`` is asked before every mini-batch and
    between the chunks of a validation pass.

    ``target_scale`` (regression): the std the caller divided y by; MAE is then reported in
    y's original units (losses stay in the scaled units the network trains on).

    ``keep_epoch_weights``: keep a copy of the weights at each epoch's end, so that when
    ``should_stop`` ends the run mid-epoch the network is rolled back (after the stop's
    checkpoint is taken) to the best epoch (early stopping with restore_best) or the last
    finished one, named in ``restored_epoch``; None when no epoch has finished.
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
    l1, l2 = read_regularization(regularization)
    clip = _check_clip(gradient_clip_norm)
    schedule = Schedule(lr_schedule, opt.base_learning_rate, epochs) if lr_schedule else None

    train, val = make_sources(
        net, loss_fn, X, y, X_val, y_val, train_index, val_index, batch_transform
    )
    n = train.n
    fused = loss_fn.fuses_with is not None and loss_fn.fuses_with == net.output_activation
    grad_fn = loss_fn.fused_grad if fused else loss_fn.grad
    if task == "classification":
        Acc: Callable[[], Any] = ClassificationAccumulator
    else:
        Acc = functools.partial(RegressionAccumulator, target_scale)
    params, grads = net.flat_parameters(), net.flat_gradients()
    k = net.decay_size
    opt.decay_limits = {name: k for name, _ in params}
    wd_params, wd_grads = net.flat_params[:k], net.flat_grads[:k]
    wd_buf = np.empty_like(wd_params) if (l1 or l2) else None

    result = FitResult()
    resume_batch, partial = 0, None
    if resume is not None:
        start_epoch = _restore(resume, net, opt, stopper, schedule, result)
        resume_batch, partial = resume.batch, resume.partial
    throttled = checkpoint_seconds is not None and on_checkpoint is not None
    last_snapshot = time.perf_counter()

    def snapshot(epoch: int, batch: int = 0, part: dict | None = None) -> TrainingState:
        nonlocal last_snapshot
        last_snapshot = time.perf_counter()
        return TrainingState(
            batch=batch,
            partial=part,
            epoch=epoch,
            weights=net.get_weights(),
            optimizer=opt.state_dict(),
            rng_state=copy.deepcopy(net.rng.bit_generator.state),
            early_stopping=stopper.state_dict() if stopper is not None else None,
            schedule=schedule.state_dict() if schedule is not None else None,
            history=[r.to_dict() for r in result.history],
            best_epoch=result.best_epoch,
            stopped=result.stopped,
        )

    kept: tuple[int, dict[str, np.ndarray]] | None = None
    if keep_epoch_weights and start_epoch > 0 and resume_batch == 0:
        kept = (start_epoch, net.get_weights())

    def stop_here(done_epoch: int, batch: int, part: dict[str, Any]) -> FitResult:
        result.stopped = "cancelled"
        if throttled:
            on_checkpoint(snapshot(done_epoch, batch, part))
        if stopper is not None and stopper.best_weights is not None:
            net.set_weights(stopper.best_weights)
            result.restored_epoch = stopper.best_epoch
        elif kept is not None:
            net.set_weights(kept[1])
            result.restored_epoch = kept[0]
        return result

    first = start_epoch + 1 if result.stopped is None else epochs + 1
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(first, epochs + 1):
            t0 = time.perf_counter()
            if schedule is not None:
                opt.learning_rate = schedule.lr_for(epoch)
            order = train.order(_epoch_rng(seed, epoch) if shuffle else None)
            total, seen, acc, done_seconds = 0.0, 0, Acc(), 0.0
            first_batch = 0
            if partial is not None and epoch == start_epoch + 1:
                first_batch = resume_batch
                total, seen = float(partial["total"]), int(partial["seen"])
                done_seconds = float(partial["seconds"])
                acc.load_state_dict(partial["acc"])
                partial = None

            for b, start in enumerate(range(0, n, batch_size)):
                if b < first_batch:
                    continue
                if should_stop is not None and should_stop():
                    part = _partial(total, seen, acc, done_seconds + time.perf_counter() - t0)
                    return stop_here(epoch - 1, b, part)
                if (
                    throttled
                    and b > first_batch
                    and (time.perf_counter() - last_snapshot >= checkpoint_seconds)
                ):
                    part = _partial(total, seen, acc, done_seconds + time.perf_counter() - t0)
                    on_checkpoint(snapshot(epoch - 1, b, part))
                xb, yb = train.batch(order, start, start + batch_size)
                out = net.forward(xb, training=True)
                value = loss_fn.value(out, yb)
                if not math.isfinite(value):
                    raise TrainingDiverged(epoch, value, result.history)
                acc.update(out, yb)
                net.backward(grad_fn(out, yb), skip_output_activation=fused, need_input_grad=False)
                if wd_buf is not None:
                    add_penalty_grad(wd_params, wd_grads, l1, l2, wd_buf)
                if clip is not None:
                    clip_by_global_norm(net.flat_grads, clip)
                opt.step(params, grads)
                total += value * xb.shape[0]
                seen += xb.shape[0]
            train_seconds = done_seconds + time.perf_counter() - t0
            metrics = acc.result()
            val_loss = None
            if val is not None:
                vacc = Acc()
                val_loss = evaluate(net, val, loss_fn, vacc, max(batch_size, 1024), should_stop)
                if val_loss is None:  # stopped mid-validation: resume at "all batches done"
                    part = _partial(total, seen, acc, train_seconds)
                    return stop_here(epoch - 1, -(-n // batch_size), part)
                if not math.isfinite(val_loss):
                    raise TrainingDiverged(epoch, val_loss, result.history)
                metrics.update(vacc.result("val_"))
            train_loss = total / seen
            seconds = done_seconds + time.perf_counter() - t0
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

            monitored = val_loss if val_loss is not None else train_loss
            if schedule is not None:
                schedule.end_epoch(epoch, monitored)
            if stopper is not None and stopper.update(epoch, monitored, net.get_weights):
                result.stopped = "early_stopping"
            if stopper is not None:
                result.best_epoch = stopper.best_epoch
            if keep_epoch_weights:
                kept = (epoch, net.get_weights())
            if on_checkpoint is not None and (
                not throttled
                or result.stopped is not None
                or epoch == epochs
                or time.perf_counter() - last_snapshot >= checkpoint_seconds
            ):
                on_checkpoint(snapshot(epoch))
            if result.stopped is not None:
                break

    if stopper is not None and stopper.best_weights is not None:
        last = result.history[-1].epoch if result.history else None
        if stopper.best_epoch != last:
            net.set_weights(stopper.best_weights)
        result.restored_epoch = stopper.best_epoch
    return result


def _partial(total: float, seen: int, acc: Any, seconds: float) -> dict[str, Any]:
    """An epoch's running sums so far, for a mid-epoch TrainingState."""
    return {"total": total, "seen": seen, "acc": acc.state_dict(), "seconds": seconds}


def _check_clip(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise SpecError("gradient_clip_norm must be a positive number")
    if not math.isfinite(value):
        raise SpecError("gradient_clip_norm must be finite")
    return float(value)


def _restore(
    state: TrainingState,
    net: Network,
    opt: Optimizer,
    stopper: EarlyStopping | None,
    schedule: Schedule | None,
    result: FitResult,
) -> int:
    """Load ``state`` into the run's objects; returns the number of completed epochs."""
    try:
        net.set_weights(state.weights)
        opt.load_state_dict(state.optimizer)
    except ValueError as exc:
        raise SpecError(f"cannot resume: the saved state does not fit this run ({exc})") from None
    net.rng.bit_generator.state = copy.deepcopy(state.rng_state)
    if stopper is not None and state.early_stopping is not None:
        stopper.load_state_dict(state.early_stopping)
    if schedule is not None and state.schedule is not None:
        schedule.load_state_dict(state.schedule)
    result.history = [EpochRecord(**d) for d in state.history]
    result.best_epoch = state.best_epoch
    result.stopped = state.stopped if state.stopped == "early_stopping" else None
    return int(state.epoch)
