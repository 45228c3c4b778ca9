"""Per-epoch persistence for a running job: history row, progress and (when due) checkpoint,
all in one fenced transaction."""

from __future__ import annotations

import time
from typing import Any

from service.config import Settings
from service.db import runs_repo
from service.db.blobs import arrays_to_npz
from service.db.retry import with_db_retry
from service.db.session import session_factory
from service.engine import EpochRecord, TrainingState
from service.jobs.model_row import JobContext
from service.jobs.monitor import JobMonitor


def progress(record: EpochRecord, epochs: int, runtime: float, first_epoch: int) -> dict:
    """Progress of the job after `record`: epoch, fraction, samples/s, ETA (seconds)."""
    done_here = max(1, record.epoch - first_epoch)
    remaining = epochs - record.epoch
    return {
        "epoch": record.epoch,
        "epochs": epochs,
        "fraction": round(record.epoch / epochs, 6),
        "samples_per_second": round(record.samples_per_second, 3),
        "eta_seconds": round(runtime / done_here * remaining, 3) if runtime else None,
    }


class EpochRecorder:
    """fit() callbacks that persist a job's epochs.

    Epoch rows and progress are written at least every settings.progress_seconds (and with
    every checkpoint); checkpoints at most every settings.checkpoint_seconds and at the last
    epoch. Rows and the checkpoint of an epoch share one transaction, so a resumed attempt,
    which re-runs the epochs after its checkpoint bit for bit, finds no gaps and keeps the
    rows that exist: history never repeats.
    """

    def __init__(
        self,
        settings: Settings,
        ctx: JobContext,
        owner: str,
        monitor: JobMonitor,
        first_epoch: int,
    ) -> None:
        self.settings = settings
        self.ctx = ctx
        self.owner = owner
        self.monitor = monitor
        self.first_epoch = first_epoch
        self.epochs = int(ctx.training["epochs"])
        self.sessions = session_factory(settings.sqlalchemy_url)
        self.latest: TrainingState | None = None
        self._pending: list[EpochRecord] = []
        self._record: EpochRecord | None = None
        self._saved_epoch = first_epoch
        self._saved_at = self._written_at = time.monotonic()

    def on_epoch_end(self, record: EpochRecord) -> None:
        self._record = record

    def on_checkpoint(self, state: TrainingState) -> None:
        self.latest = state
        if self._record is not None:
            self._pending.append(self._record)
            self._record = None
        if not self.persist(state, final=False):
            self.monitor.reason = "lease_lost"

    def flush(self, *, checkpoint: bool) -> bool:
        """Write the pending rows now, and with `checkpoint` the newest finished epoch's
        checkpoint too (before a shutdown or a time limit hands the job on)."""
        if self.latest is None:
            return True
        return self.persist(self.latest, final=checkpoint, rows_now=True)

    def persist(self, state: TrainingState, *, final: bool, rows_now: bool = False) -> bool:
        """Write pending rows and, when due, the checkpoint; False if the lease is lost."""
        now = time.monotonic()
        last = self._pending[-1].epoch if self._pending else state.epoch
        checkpoint_due = (
            final
            or last >= self.epochs
            or (now - self._saved_at >= self.settings.checkpoint_seconds)
        )
        rows_due = (
            rows_now or checkpoint_due or now - self._written_at >= self.settings.progress_seconds
        )
        if not rows_due or (not self._pending and not checkpoint_due):
            return True
        checkpoint = None
        if checkpoint_due and state.epoch > self._saved_epoch:
            arrays, meta = state.to_payload()
            meta = {**meta, "service_runtime_seconds": self.monitor.runtime}
            checkpoint = (state.epoch, meta, arrays_to_npz(arrays))
        records = list(self._pending)
        ok = with_db_retry(lambda: self._write(records, checkpoint), what="checkpoint")
        if ok:
            self._pending.clear()
            self._written_at = time.monotonic()
            if checkpoint is not None:
                self._saved_epoch, self._saved_at = state.epoch, self._written_at
        return ok

    def _write(
        self, records: list[EpochRecord], checkpoint: tuple[int, dict[str, Any], bytes] | None
    ) -> bool:
        ctx = self.ctx
        with self.sessions() as session:
            if not records:
                if checkpoint is None:
                    return True
                epoch, meta, arrays = checkpoint
                return runs_repo.save_checkpoint(
                    session, ctx.job_id, self.owner, epoch, (meta, arrays), ctx.attempt
                )
            runtime = self.monitor.runtime
            latest = records[-1]
            return runs_repo.save_epochs(
                session,
                ctx.job_id,
                self.owner,
                [r.to_dict() for r in records],
                progress(latest, self.epochs, runtime - ctx.runtime_before, self.first_epoch),
                checkpoint=checkpoint,
                runtime_seconds=runtime,
                attempt=ctx.attempt,
            )
