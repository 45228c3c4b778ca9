"""One epoch of :func:`~service.engine.training.fit`: mini-batch steps over the shuffled
training rows, then a validation pass (:class:`EpochTrainer`)."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .batches import RowSource, evaluate
from .checkpoint import Checkpointer
from .errors import TrainingDiverged
from .fit_options import FitOptions
from .losses import Loss
from .metrics import ClassificationAccumulator, RegressionAccumulator
from .network import Network
from .optimizers import Optimizer
from .records import EpochRecord, FitResult
from .regularization import add_penalty_grad, clip_by_global_norm


@dataclass
class Stop:
    """``should_stop`` ended an epoch: it resumes at mini-batch ``batch`` with ``partial``
    (the epoch's running sums, as in TrainingState.partial)."""

    batch: int
    partial: dict[str, Any]


@dataclass
class EpochSums:
    """An epoch's running sums: loss times rows, rows, metric accumulator, and the seconds
    spent in it before this process (a resumed epoch)."""

    acc: Any
    total: float = 0.0
    seen: int = 0
    seconds_before: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    def seconds(self) -> float:
        """Wall time of the epoch so far, including the time before a resume."""
        return self.seconds_before + time.perf_counter() - self.started

    def partial(self, seconds: float | None = None) -> dict[str, Any]:
        """The sums for a mid-epoch TrainingState (``seconds`` default: :meth:`seconds`)."""
        return {
            "total": self.total,
            "seen": self.seen,
            "acc": self.acc.state_dict(),
            "seconds": self.seconds() if seconds is None else seconds,
        }

    def load(self, partial: dict[str, Any]) -> None:
        self.total, self.seen = float(partial["total"]), int(partial["seen"])
        self.seconds_before = float(partial["seconds"])
        self.acc.load_state_dict(partial["acc"])


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """Shuffling Generator for one epoch, derived from (seed, epoch) so that resuming at
    ``start_epoch`` reproduces the same permutations without saved state."""
    return np.random.default_rng((seed, epoch))


class EpochTrainer:
    """Runs epochs of ``net`` on ``train`` (validated on ``val``) with ``opt``.

    Per mini-batch: forward, loss, backward, L1/L2 penalty gradients on the decayed
    weights, global-norm clipping, optimizer step. Reports into ``result.history`` only
    through the records it returns (divergence raises with the history so far)."""

    def __init__(
        self,
        net: Network,
        loss_fn: Loss,
        opt: Optimizer,
        options: FitOptions,
        sources: tuple[RowSource, RowSource | None],
        result: FitResult,
    ) -> None:
        self.net, self.loss_fn, self.opt, self.options = net, loss_fn, opt, options
        self.train, self.val = sources
        self.result = result
        self.fused = loss_fn.fuses_with is not None and loss_fn.fuses_with == net.output_activation
        self.grad_fn = loss_fn.fused_grad if self.fused else loss_fn.grad
        self.new_acc: Callable[[], Any] = ClassificationAccumulator
        if options.task == "regression":
            self.new_acc = functools.partial(RegressionAccumulator, options.target_scale)
        self.params, self.grads = net.flat_parameters(), net.flat_gradients()
        k = net.decay_size
        opt.decay_limits = {name: k for name, _ in self.params}
        self.l1, self.l2 = options.penalties()
        self.wd_params, self.wd_grads = net.flat_params[:k], net.flat_grads[:k]
        self.wd_buf = np.empty_like(self.wd_params) if (self.l1 or self.l2) else None
        self.n_batches = -(-self.train.n // options.batch_size)

    def run(
        self,
        epoch: int,
        checkpointer: Checkpointer,
        should_stop: Callable[[], bool] | None,
        resume_at: tuple[int, dict[str, Any]] | None = None,
    ) -> EpochRecord | Stop:
        """Train epoch ``epoch`` (1-based), from mini-batch ``resume_at = (batch, partial)``
        when given; ``should_stop`` is asked before every mini-batch (and between
        validation chunks). Mid-epoch checkpoints are numbered ``epoch - 1``."""
        size = self.options.batch_size
        sums = EpochSums(self.new_acc())
        order = self.train.order(
            epoch_rng(self.options.seed, epoch) if self.options.shuffle else None
        )
        first_batch = 0
        if resume_at is not None:
            first_batch = resume_at[0]
            sums.load(resume_at[1])
        for b in range(first_batch, self.n_batches):
            if should_stop is not None and should_stop():
                return Stop(b, sums.partial())
            if b > first_batch and checkpointer.due():
                checkpointer.save(epoch - 1, b, sums.partial())
            xb, yb = self.train.batch(order, b * size, (b + 1) * size)
            value = self._step(xb, yb, sums.acc, epoch)
            sums.total += value * xb.shape[0]
            sums.seen += xb.shape[0]
        train_seconds = sums.seconds()
        metrics = sums.acc.result()
        val_loss = None
        if self.val is not None:
            val_loss = self._validate(epoch, metrics, should_stop)
            if val_loss is None:  # stopped mid-validation: resume at "all batches done"
                return Stop(self.n_batches, sums.partial(train_seconds))
        return EpochRecord(
            epoch=epoch,
            loss=sums.total / sums.seen,
            val_loss=val_loss,
            metrics=metrics,
            seconds=sums.seconds(),
            samples_per_second=sums.seen / train_seconds if train_seconds > 0 else 0.0,
        )

    def _step(self, xb: np.ndarray, yb: np.ndarray, acc: Any, epoch: int) -> float:
        """One update on batch (xb, yb); returns its mean loss (before penalties)."""
        net = self.net
        out = net.forward(xb, training=True)
        value = self.loss_fn.value(out, yb)
        if not math.isfinite(value):
            raise TrainingDiverged(epoch, value, self.result.history)
        acc.update(out, yb)
        net.backward(
            self.grad_fn(out, yb), skip_output_activation=self.fused, need_input_grad=False
        )
        if self.wd_buf is not None:
            add_penalty_grad(self.wd_params, self.wd_grads, self.l1, self.l2, self.wd_buf)
        if self.options.gradient_clip_norm is not None:
            clip_by_global_norm(net.flat_grads, self.options.gradient_clip_norm)
        self.opt.step(self.params, self.grads)
        return value

    def _validate(
        self, epoch: int, metrics: dict[str, float], should_stop: Callable[[], bool] | None
    ) -> float | None:
        """Validation loss (chunks of max(batch_size, 1024) rows); adds the "val_" metrics
        to ``metrics``. None when ``should_stop`` said stop between chunks."""
        acc = self.new_acc()
        chunk = max(self.options.batch_size, 1024)
        val_loss = evaluate(self.net, self.val, self.loss_fn, acc, chunk, should_stop)
        if val_loss is None:
            return None
        if not math.isfinite(val_loss):
            raise TrainingDiverged(epoch, val_loss, self.result.history)
        metrics.update(acc.result("val_"))
        return val_loss
