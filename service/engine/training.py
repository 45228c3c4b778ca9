"""Mini-batch training: :func:`fit` a network to :class:`FitData` as :class:`FitOptions` say,
calling :class:`FitHooks`, with early stopping, schedules and checkpoint/resume."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .batches import Transform, make_sources
from .checkpoint import Checkpointer, TrainingParts, TrainingState
from .epoch import EpochTrainer, Stop
from .fit_options import FitOptions
from .network import Network
from .records import EpochRecord, FitResult


@dataclass(frozen=True)
class FitData:
    """What fit trains on: X (N, *input_shape) and y (N, ...) (see ``losses`` for the
    target conventions), optional validation rows.

    With ``train_index`` (1-D row numbers) X and y are the whole dataset (X may be a
    read-only ``np.memmap``; it is never converted as a whole) and training uses rows
    ``X[train_index]``; ``val_index`` likewise selects the validation rows (instead of
    X_val/y_val). ``batch_transform`` maps each gathered (k, *input_shape) batch, train and
    validation, before the forward pass (e.g. standardisation); results equal training on
    the materialised, transformed arrays."""

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    train_index: np.ndarray | None = None
    val_index: np.ndarray | None = None
    batch_transform: Transform | None = None


@dataclass(frozen=True)
class FitHooks:
    """Callbacks of a fit run.

    ``on_epoch_end`` gets each epoch's record; ``should_stop`` is asked before every
    mini-batch and between the chunks of a validation pass (True ends the run, "cancelled");
    ``on_checkpoint`` gets a :class:`TrainingState` after epochs (after ``on_epoch_end``)
    or mid-epoch, as FitOptions.checkpoint_seconds says."""

    on_epoch_end: Callable[[EpochRecord], None] | None = None
    should_stop: Callable[[], bool] | None = None
    on_checkpoint: Callable[[TrainingState], None] | None = None


def fit(
    net: Network,
    data: FitData,
    options: FitOptions,
    hooks: FitHooks | None = None,
    resume: TrainingState | None = None,
) -> FitResult:
    """Train ``net`` in place; returns the history and how the run ended.

    Runs epochs ``options.start_epoch + 1 .. options.epochs``. ``resume`` continues from a
    :class:`TrainingState` instead (weights, optimizer, dropout RNG, early stopping,
    schedule, history and a mid-epoch position restored); interrupted-and-resumed training
    is bit-identical to uninterrupted training, and the returned history includes the
    resumed epochs. ``lr_schedule`` sets the optimizer's rate before each epoch. Raises
    ``SpecError`` for data that does not fit the network and ``TrainingDiverged`` when a
    loss becomes NaN/inf.

    Data is never copied per epoch or per batch: each epoch draws one permutation and each
    batch's rows are gathered into reused buffers. Validation runs in chunks of
    ``max(batch_size, 1024)`` rows. With early stopping and restore_best the network holds
    the best epoch's weights on return (``restored_epoch``). When ``should_stop`` ends the
    run and ``keep_epoch_weights`` is set, the network is rolled back (after the stop's
    checkpoint is taken) to the best epoch (restore_best) or the last finished one, named
    in ``restored_epoch``; None when no epoch has finished.
    """
    hooks = hooks or FitHooks()
    loss_fn = options.build_loss()
    opt = options.build_optimizer()
    parts = TrainingParts(
        net,
        opt,
        options.build_early_stopping(),
        options.build_schedule(opt.base_learning_rate),
        FitResult(),
    )
    sources = make_sources(
        net,
        loss_fn,
        data.X,
        data.y,
        data.X_val,
        data.y_val,
        data.train_index,
        data.val_index,
        data.batch_transform,
    )
    trainer = EpochTrainer(net, loss_fn, opt, options, sources, parts.result)
    run = _Run(parts, options, hooks, trainer)
    return run.resumed(resume) if resume is not None else run.start()


class _Run:
    """The epochs of one fit call: one trainer call per epoch plus the bookkeeping between
    epochs (history, hooks, schedule, early stopping, kept weights, checkpoints)."""

    def __init__(
        self, parts: TrainingParts, options: FitOptions, hooks: FitHooks, trainer: EpochTrainer
    ) -> None:
        self.parts, self.options, self.hooks, self.trainer = parts, options, hooks, trainer
        self.result = parts.result
        self.checkpointer = Checkpointer(parts, hooks.on_checkpoint, options.checkpoint_seconds)
        self.kept: tuple[int, dict[str, np.ndarray]] | None = None

    def start(self) -> FitResult:
        return self._epochs(self.options.start_epoch, None, at_epoch_boundary=True)

    def resumed(self, state: TrainingState) -> FitResult:
        done = self.parts.restore(state)
        resume_at = (state.batch, state.partial) if state.partial is not None else None
        return self._epochs(done, resume_at, at_epoch_boundary=state.batch == 0)

    def _epochs(
        self,
        done: int,
        resume_at: tuple[int, dict] | None,
        at_epoch_boundary: bool,
    ) -> FitResult:
        """Run epochs ``done + 1 ..`` (the first from ``resume_at`` when given)."""
        opt, schedule, epochs = self.parts.optimizer, self.parts.schedule, self.options.epochs
        if self.options.keep_epoch_weights and done > 0 and at_epoch_boundary:
            self.kept = (done, self.parts.net.get_weights())
        first = done + 1 if self.result.stopped is None else epochs + 1
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for epoch in range(first, epochs + 1):
                if schedule is not None:
                    opt.learning_rate = schedule.lr_for(epoch)
                outcome = self.trainer.run(
                    epoch,
                    self.checkpointer,
                    self.hooks.should_stop,
                    resume_at if epoch == first else None,
                )
                if isinstance(outcome, Stop):
                    return self._stopped(epoch - 1, outcome)
                if self._end_epoch(outcome):
                    break
        self._restore_best()
        return self.result

    def _end_epoch(self, record: EpochRecord) -> bool:
        """Bookkeeping after a finished epoch; True when early stopping ends the run."""
        result, stopper, schedule = self.result, self.parts.stopper, self.parts.schedule
        result.history.append(record)
        if self.hooks.on_epoch_end is not None:
            self.hooks.on_epoch_end(record)
        monitored = record.val_loss if record.val_loss is not None else record.loss
        if schedule is not None:
            schedule.end_epoch(record.epoch, monitored)
        if stopper is not None:
            if stopper.update(record.epoch, monitored, self.parts.net.get_weights):
                result.stopped = "early_stopping"
            result.best_epoch = stopper.best_epoch
        if self.options.keep_epoch_weights:
            self.kept = (record.epoch, self.parts.net.get_weights())
        final = result.stopped is not None or record.epoch == self.options.epochs
        self.checkpointer.after_epoch(record.epoch, final)
        return result.stopped is not None

    def _stopped(self, done: int, stop: Stop) -> FitResult:
        """``should_stop`` ended the run after ``done`` epochs and ``stop.batch`` batches:
        checkpoint there, then roll back to the best or last kept epoch's weights."""
        result, stopper, net = self.result, self.parts.stopper, self.parts.net
        result.stopped = "cancelled"
        self.checkpointer.on_stop(done, stop.batch, stop.partial)
        if stopper is not None and stopper.best_weights is not None:
            net.set_weights(stopper.best_weights)
            result.restored_epoch = stopper.best_epoch
        elif self.kept is not None:
            net.set_weights(self.kept[1])
            result.restored_epoch = self.kept[0]
        return result

    def _restore_best(self) -> None:
        """With restore_best, put the best epoch's weights back (unless they are the last)."""
        stopper, result = self.parts.stopper, self.result
        if stopper is None or stopper.best_weights is None:
            return
        last = result.history[-1].epoch if result.history else None
        if stopper.best_epoch != last:
            self.parts.net.set_weights(stopper.best_weights)
        result.restored_epoch = stopper.best_epoch
