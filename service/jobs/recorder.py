"""Per-epoch persistence for a running job: history row, progress and (when due) checkpoint,
all in one fenced transaction."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from sqlalchemy.orm import Session

from service.config import Settings
from service.db import runs_repo
from service.db.blobs import arrays_to_npz
from service.db.retry import run_in_session
from service.engine import EpochRecord, TrainingState
from service.jobs.context import JobContext
from service.jobs.monitor import JobMonitor

log = logging.getLogger(__name__)


class EpochJudge(Protocol):
    """Judges a running job's epochs after their rows are written (a trial's pruner)."""

    def due(self, epoch: int) -> bool:
        """Whether `epoch`, just ended, is to be written and judged now."""

    def __call__(self, epoch: int) -> bool:
        """After the rows up to `epoch` were written: whether training must stop now."""


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
    """fit() callbacks that persist a job's progress.

    Epoch rows and progress are written at least every settings.progress_seconds; the
    engine hands over a checkpoint at most every settings.checkpoint_seconds (between
    mini-batches too, for long epochs), and it is written with the pending rows in one
    transaction. A resumed attempt re-runs everything after its checkpoint bit for bit and
    keeps rows that exist, so history has no gaps and no repeats.
    """

    def __init__(
        self,
        settings: Settings,
        ctx: JobContext,
        owner: str,
        monitor: JobMonitor,
        first_epoch: int,
        judge: EpochJudge | None = None,
    ) -> None:
        """judge: at the end of each epoch it is due at, the rows are written and it is
        asked; when it says stop, the monitor stops training like a cancel. Its errors are
        logged, never raised into training."""
        self.settings = settings
        self.judge = judge
        self.ctx = ctx
        self.owner = owner
        self.monitor = monitor
        self.first_epoch = first_epoch
        self.epochs = ctx.plan.epochs
        self.latest: TrainingState | None = None
        self._pending: list[EpochRecord] = []
        self._saved: tuple[int, int] = (first_epoch, 0)
        self._written_at = time.monotonic()

    def on_epoch_end(self, record: EpochRecord) -> None:
        self._pending.append(record)
        due = self.judge is not None and self.judge.due(record.epoch)
        if due or time.monotonic() - self._written_at >= self.settings.progress_seconds:
            if self._persist(None) and due:
                self._ask_judge(record.epoch)

    def _ask_judge(self, epoch: int) -> None:
        try:
            if self.judge is not None and self.judge(epoch):
                self.monitor.reason = self.monitor.reason or "cancelled"
        except Exception:
            log.exception("job %s: judging epoch %d failed", self.ctx.job_id, epoch)

    def on_checkpoint(self, state: TrainingState) -> None:
        self.latest = state
        self._persist(state)

    def flush(self, *, checkpoint: bool) -> bool:
        """Write pending rows now, and with `checkpoint` the newest state if not yet saved
        (before a shutdown or a time limit hands the job on)."""
        state = self.latest if checkpoint else None
        return self._persist(state)

    def _persist(self, state: TrainingState | None) -> bool:
        """Write pending rows and the state's checkpoint; False (and the monitor told) when
        the lease is lost."""
        payload = None
        if state is not None and (state.epoch, state.batch) > self._saved:
            arrays, meta = state.to_payload()
            meta = {**meta, "service_runtime_seconds": self.monitor.runtime}
            payload = (state.epoch, meta, arrays_to_npz(arrays))
        if not self._pending and payload is None:
            return True
        records = list(self._pending)
        ok = run_in_session(
            self.settings.sqlalchemy_url,
            lambda session: self._write(session, records, payload),
            what="checkpoint",
        )
        if not ok:
            self.monitor.reason = "lease_lost"
            return False
        del self._pending[: len(records)]
        self._written_at = time.monotonic()
        if payload is not None:
            self._saved = (state.epoch, state.batch)
        return True

    def _write(
        self,
        session: Session,
        records: list[EpochRecord],
        checkpoint: tuple[int, dict[str, Any], bytes] | None,
    ) -> bool:
        ctx = self.ctx
        if not records:
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
