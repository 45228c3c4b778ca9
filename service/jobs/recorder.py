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
    """fit() callbacks: on_epoch_end stashes the record, on_checkpoint writes it.

    Checkpoints are written at most every settings.checkpoint_seconds (and at the last
    epoch); epoch rows every epoch. A resumed attempt re-runs epochs after its checkpoint
    bit-identically, and rows that already exist are kept, so history has no gaps or repeats.
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
        self._record: EpochRecord | None = None
        self._saved_epoch = first_epoch
        self._saved_at = time.monotonic()

    def on_epoch_end(self, record: EpochRecord) -> None:
        self._record = record

    def on_checkpoint(self, state: TrainingState) -> None:
        self.latest = state
        record, self._record = self._record, None
        if not self.persist(state, record):
            self.monitor.reason = "lease_lost"

    def flush(self) -> bool:
        """Checkpoint the newest finished epoch now (before a shutdown or a time limit)."""
        return self.latest is None or self.persist(self.latest, None)

    def persist(self, state: TrainingState, record: EpochRecord | None) -> bool:
        """Write the epoch row (if any) and, when due, the checkpoint; False if the lease
        is lost."""
        due = record is None or (
            time.monotonic() - self._saved_at >= self.settings.checkpoint_seconds
            or record.epoch >= self.epochs
        )
        checkpoint = None
        if due and state.epoch > self._saved_epoch:
            arrays, meta = state.to_payload()
            meta = {**meta, "service_runtime_seconds": self.monitor.runtime}
            checkpoint = (meta, arrays_to_npz(arrays))
        ok = with_db_retry(lambda: self._write(state, record, checkpoint), what="checkpoint")
        if ok and checkpoint is not None:
            self._saved_epoch, self._saved_at = state.epoch, time.monotonic()
        return ok

    def _write(
        self,
        state: TrainingState,
        record: EpochRecord | None,
        checkpoint: tuple[dict[str, Any], bytes] | None,
    ) -> bool:
        ctx = self.ctx
        with self.sessions() as session:
            if record is None:
                if checkpoint is None:
                    return True
                return runs_repo.save_checkpoint(
                    session, ctx.job_id, self.owner, state.epoch, checkpoint, ctx.attempt
                )
            runtime = self.monitor.runtime
            return runs_repo.save_epoch(
                session,
                ctx.job_id,
                self.owner,
                record.to_dict(),
                progress(record, self.epochs, runtime - ctx.runtime_before, self.first_epoch),
                checkpoint=checkpoint,
                runtime_seconds=runtime,
                attempt=ctx.attempt,
            )
