"""Deleting finished jobs with their history, runs and checkpoint; retention pruning."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from service.db import job_cleanup, jobs_repo, runs_repo
from service.db.models import (
    EpochRow,
    Job,
    JobCheckpoint,
    JobRun,
    TrainedModel,
    new_id,
    utcnow,
)

SPEC = {"network": {"layers": []}, "training": {}}
MODEL = dict(dataset_id="ds", task="c", network={}, training={}, layers=[], num_params=0,
             metrics={}, input_schema={}, preprocessing={}, weights=b"w")  # fmt: skip
RECORD = {"epoch": 1, "loss": 0.5, "val_loss": 0.6, "metrics": {}, "seconds": 0.1}


def trained_job(sessions, tenant_id: str, *, finish: str | None = "succeeded") -> str:
    """A job that trained one epoch (epoch row, run, checkpoint); finished with `finish`
    and a model when that is 'succeeded', left running when None."""
    with sessions() as s:
        job_id = jobs_repo.create_job(s, tenant_id, "ds", SPEC, 3).id
        s.commit()
        assert jobs_repo.claim(s, job_id, "w1")
        runs_repo.start_run(s, job_id, 1, "w1", 0)
        assert runs_repo.save_epochs(
            s,
            job_id,
            "w1",
            [RECORD],
            {"epoch": 1, "epochs": 1, "fraction": 1.0},
            checkpoint=(1, {"epoch": 1}, b"npz"),
            runtime_seconds=1.0,
            attempt=1,
        )
        if finish is None:
            return job_id
        model = None
        if finish == "succeeded":
            model = TrainedModel(id=new_id(), tenant_id=tenant_id, job_id=job_id, **MODEL)
        assert jobs_repo.finish(s, job_id, "w1", finish, model=model)
    return job_id


def counts(sessions, job_id: str) -> dict[str, int]:
    with sessions() as s:
        return {
            table.__tablename__: s.scalar(
                select(func.count()).select_from(table).where(table.job_id == job_id)
            )
            for table in (EpochRow, JobRun, JobCheckpoint)
        } | {"jobs": s.scalar(select(func.count()).where(Job.id == job_id))}


NONE_LEFT = {"epoch_records": 0, "job_runs": 0, "job_checkpoints": 0, "jobs": 0}


def test_finished_job_goes_with_its_history_and_its_model_stays(sessions, tenant_id):
    job_id = trained_job(sessions, tenant_id)
    assert set(counts(sessions, job_id).values()) == {1}
    with sessions() as s:
        model_id = s.get(Job, job_id).model_id
        assert job_cleanup.delete_finished_job(s, job_id) == job_cleanup.DeletedJob(job_id, None)
        assert job_cleanup.delete_finished_job(s, job_id) is None  # already gone
    assert counts(sessions, job_id) == NONE_LEFT
    with sessions() as s:
        assert s.get(TrainedModel, model_id) is not None


def test_delete_model_when_asked(sessions, tenant_id):
    job_id = trained_job(sessions, tenant_id)
    with sessions() as s:
        model_id = s.get(Job, job_id).model_id
        deleted = job_cleanup.delete_finished_job(s, job_id, delete_model=True)
        assert deleted == job_cleanup.DeletedJob(job_id, model_id)
    with sessions() as s:
        assert s.get(TrainedModel, model_id) is None
    assert counts(sessions, job_id) == NONE_LEFT


def test_running_and_queued_jobs_are_not_deleted(sessions, tenant_id):
    running = trained_job(sessions, tenant_id, finish=None)
    with sessions() as s:
        queued = jobs_repo.create_job(s, tenant_id, "ds", SPEC, 3).id
        s.commit()
        assert job_cleanup.delete_finished_job(s, running) is None
        assert job_cleanup.delete_finished_job(s, queued) is None
    assert set(counts(sessions, running).values()) == {1}
    assert counts(sessions, queued)["jobs"] == 1


def test_retention_prunes_only_old_finished_jobs(sessions, tenant_id):
    old_ok = trained_job(sessions, tenant_id)
    old_failed = trained_job(sessions, tenant_id, finish="failed")
    recent = trained_job(sessions, tenant_id, finish="cancelled")
    old_running = trained_job(sessions, tenant_id, finish=None)
    long_ago = utcnow() - timedelta(days=10)
    with sessions() as s:
        old = (old_ok, old_failed, old_running)
        s.execute(update(Job).where(Job.id.in_(old)).values(finished_at=long_ago))
        s.execute(update(Job).where(Job.id.in_(old)).values(created_at=long_ago))
        s.commit()
        model_id = s.get(Job, old_ok).model_id
        assert sorted(job_cleanup.prune_finished_jobs(s, 7)) == sorted([old_ok, old_failed])
        assert job_cleanup.prune_finished_jobs(s, 7) == []  # idempotent
        assert job_cleanup.prune_finished_jobs(s, 30) == []
        assert s.get(TrainedModel, model_id) is not None  # models stay
    assert counts(sessions, old_ok) == NONE_LEFT == counts(sessions, old_failed)
    assert counts(sessions, recent)["jobs"] == 1
    assert counts(sessions, old_running)["jobs"] == 1
