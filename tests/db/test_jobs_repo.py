"""The job state machine: claims, fenced writes, terminal states, stale leases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from service.db import jobs_repo, runs_repo
from service.db.models import EpochRow, Job, JobRun, utcnow

SPEC = {"network": {"layers": []}, "training": {}}


def new_job(sessions, tenant_id: str, max_attempts: int = 3) -> str:
    with sessions() as session:
        job = jobs_repo.create_job(session, tenant_id, "ds", SPEC, max_attempts)
        session.commit()
        return job.id


def status(sessions, job_id: str) -> Job:
    with sessions() as session:
        return session.get(Job, job_id)


RECORD = {"epoch": 1, "loss": 0.5, "val_loss": 0.6, "metrics": {"accuracy": 0.9}, "seconds": 0.1}
PROGRESS = {"epoch": 1, "epochs": 2, "fraction": 0.5}


def save(session, job_id: str, owner: str) -> bool:
    return runs_repo.save_epochs(
        session,
        job_id,
        owner,
        [RECORD],
        PROGRESS,
        checkpoint=(1, {"epoch": 1}, b"npz"),
        runtime_seconds=1.0,
        attempt=1,
    )


def test_only_one_claim_wins(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        assert jobs_repo.claim(s, job_id, "w1") is True
        assert jobs_repo.claim(s, job_id, "w2") is False
    job = status(sessions, job_id)
    assert job.status == "running" and job.lease_owner == "w1" and job.attempt == 1
    assert job.started_at is not None and job.heartbeat_at is not None


def test_writes_are_fenced_on_the_lease(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        jobs_repo.claim(s, job_id, "w1")
        assert jobs_repo.heartbeat(s, job_id, "w2") is False
        assert save(s, job_id, "w2") is False
        assert jobs_repo.finish(s, job_id, "w2", "succeeded") is False
        assert save(s, job_id, "w1") is True
        assert save(s, job_id, "w1") is True  # idempotent
        assert jobs_repo.finish(s, job_id, "w1", "failed", error="boom") is True
        assert jobs_repo.finish(s, job_id, "w1", "succeeded") is False  # written once
        rows = s.scalars(select(EpochRow).where(EpochRow.job_id == job_id)).all()
    assert len(rows) == 1
    job = status(sessions, job_id)
    assert job.status == "failed" and job.error == "boom" and job.progress == PROGRESS
    assert job.metrics == {"epoch": 1, "loss": 0.5, "val_loss": 0.6, "accuracy": 0.9}


def test_cancel_queued_and_running(sessions, tenant_id):
    queued, running = new_job(sessions, tenant_id), new_job(sessions, tenant_id)
    with sessions() as s:
        jobs_repo.claim(s, running, "w1")
        jobs_repo.request_cancel(s, queued)
        jobs_repo.request_cancel(s, running)
        assert jobs_repo.claim(s, queued, "w2") is False
        assert jobs_repo.cancel_requested(s, running) is True
    assert status(sessions, queued).status == "cancelled"
    assert status(sessions, running).status == "running"


def test_stale_running_jobs_are_requeued_then_failed(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id, max_attempts=2)
    for attempt in (1, 2):
        with sessions() as s:
            assert jobs_repo.claim(s, job_id, f"w{attempt}")
            old = utcnow() - timedelta(seconds=120)
            s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=old))
            s.commit()
            requeued = jobs_repo.release_stale(s, lease_seconds=60)
        if attempt == 1:
            assert requeued == [job_id] and status(sessions, job_id).status == "queued"
    job = status(sessions, job_id)
    assert job.status == "failed" and "max_attempts" in job.error and job.attempt == 2


def test_fresh_heartbeat_is_not_stale(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        jobs_repo.claim(s, job_id, "w1")
        assert jobs_repo.release_stale(s, lease_seconds=60) == []
    assert status(sessions, job_id).status == "running"


def test_unpublished_queued(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        assert jobs_repo.unpublished_queued(s, 60) == [job_id]
        jobs_repo.mark_published(s, job_id)
        s.commit()
        assert jobs_repo.unpublished_queued(s, 60) == []
        assert jobs_repo.unpublished_queued(s, 0) == [job_id]


def test_republish_backs_off(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        for published in range(1, 4):
            jobs_repo.mark_published(s, job_id)
            s.commit()
            ago = utcnow() - timedelta(seconds=10 * 2 ** (published - 1) - 1)
            s.execute(update(Job).where(Job.id == job_id).values(published_at=ago))
            s.commit()
            assert jobs_repo.unpublished_queued(s, 10) == []  # not yet: waits double
            ago = utcnow() - timedelta(seconds=10 * 2 ** (published - 1) + 1)
            s.execute(update(Job).where(Job.id == job_id).values(published_at=ago))
            s.commit()
            assert jobs_repo.unpublished_queued(s, 10) == [job_id]


def test_release_gives_the_job_back_unless_cancelled(sessions, tenant_id):
    requeue, cancel = new_job(sessions, tenant_id), new_job(sessions, tenant_id)
    with sessions() as s:
        for job_id in (requeue, cancel):
            assert jobs_repo.claim(s, job_id, "w1")
        jobs_repo.request_cancel(s, cancel)
        assert runs_repo.release(s, requeue, "w1") and runs_repo.release(s, cancel, "w1")
        assert runs_repo.release(s, requeue, "w1") is False  # not ours any more
    back, gone = status(sessions, requeue), status(sessions, cancel)
    assert back.status == "queued" and back.attempt == 0 and back.lease_owner is None
    assert gone.status == "cancelled" and gone.finished_at is not None
    with sessions() as s:
        assert jobs_repo.claim(s, requeue, "w2") is True


def test_a_retried_claim_finds_its_own_commit(sessions, tenant_id):
    """The commit went through but the reply was lost: the retry by the same owner (unique
    per call) succeeds without another attempt; any other owner still loses."""
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        assert jobs_repo.claim(s, job_id, "w1:abc") is True
        assert jobs_repo.claim(s, job_id, "w1:abc") is True
        assert jobs_repo.claim(s, job_id, "w2:def") is False
    assert status(sessions, job_id).attempt == 1


def _stale(sessions, job_id: str) -> None:
    with sessions() as s:
        old = utcnow() - timedelta(seconds=120)
        s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=old))
        s.commit()


def _after_the_select(session, action) -> None:
    """Run `action` right after the reaper's SELECT, as a concurrent writer would."""
    execute, calls = session.execute, {"n": 0}

    def spy(*args, **kwargs):
        result = execute(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            action()
        return result

    session.execute = spy


def test_reaper_does_not_override_a_heartbeat_or_cancel_that_lands_meanwhile(sessions, tenant_id):
    beating, cancelling = new_job(sessions, tenant_id), new_job(sessions, tenant_id)
    with sessions() as s:
        jobs_repo.claim(s, beating, "w1")
        jobs_repo.claim(s, cancelling, "w2")
    for job_id in (beating, cancelling):
        _stale(sessions, job_id)

    def concurrent_writes() -> None:
        with sessions() as other:
            assert jobs_repo.heartbeat(other, beating, "w1")
            jobs_repo.request_cancel(other, cancelling)

    with sessions() as s:
        _after_the_select(s, concurrent_writes)
        requeued = jobs_repo.release_stale(s, lease_seconds=60)
    assert requeued == []
    job = status(sessions, beating)
    assert job.status == "running" and job.lease_owner == "w1"  # its heartbeat won
    assert status(sessions, cancelling).status == "cancelled"  # not requeued, not stuck


def test_a_cancelled_stale_job_ends_cancelled_even_at_max_attempts(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id, max_attempts=1)
    with sessions() as s:
        jobs_repo.claim(s, job_id, "w1")
        jobs_repo.request_cancel(s, job_id)
    _stale(sessions, job_id)
    with sessions() as s:
        assert jobs_repo.release_stale(s, lease_seconds=60) == []
    assert status(sessions, job_id).status == "cancelled"


def test_cancel_keeping_a_model_leaves_a_trained_queued_job_for_a_worker(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        jobs_repo.claim(s, job_id, "w1")
        assert save(s, job_id, "w1")  # epoch 1 and its checkpoint
        assert runs_repo.release(s, job_id, "w1")  # shut down: back to the queue
        jobs_repo.request_cancel(s, job_id, keep_model=True)
    assert status(sessions, job_id).status == "queued"
    with sessions() as s:
        assert jobs_repo.claim(s, job_id, "w2")  # to save the model
        assert jobs_repo.cancel_requested(s, job_id)
        assert runs_repo.release(s, job_id, "w2")  # shut down before saving it
        assert status(sessions, job_id).status == "queued"
        jobs_repo.request_cancel(s, job_id, keep_model=False)  # changed their mind
    assert status(sessions, job_id).status == "cancelled"


def test_reaper_requeues_a_cancelled_job_that_should_keep_a_model(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        jobs_repo.claim(s, job_id, "w1")
        jobs_repo.request_cancel(s, job_id, keep_model=True)
    _stale(sessions, job_id)
    with sessions() as s:
        assert jobs_repo.release_stale(s, lease_seconds=60) == [job_id]
    assert status(sessions, job_id).status == "queued"


def test_lease_clock_is_the_database_on_postgres(sessions, tenant_id, db_url, monkeypatch):
    """A reaper on a host whose clock runs 10 minutes ahead: on PostgreSQL leases use the
    database's clock, so a live job is not requeued; SQLite (one host) uses the host's."""
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        assert jobs_repo.claim(s, job_id, "w1")
        assert jobs_repo.heartbeat(s, job_id, "w1")
    ahead = utcnow() + timedelta(minutes=10)
    monkeypatch.setattr(jobs_repo, "utcnow", lambda: ahead)
    with sessions() as s:
        requeued = jobs_repo.release_stale(s, lease_seconds=60)
    if db_url.startswith("postgresql"):
        assert requeued == [] and status(sessions, job_id).status == "running"
    else:
        assert requeued == [job_id]


def run_outcomes(sessions, job_id: str) -> list[tuple[str, str | None]]:
    with sessions() as s:
        rows = s.scalars(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.attempt))
        return [(r.owner, r.outcome) for r in rows]


def test_finish_and_release_end_the_run_in_their_own_transaction(sessions, tenant_id):
    """A worker killed right after the job's transition leaves no run without an outcome."""
    done, released = new_job(sessions, tenant_id), new_job(sessions, tenant_id)
    with sessions() as s:
        for job_id in (done, released):
            assert jobs_repo.claim(s, job_id, "w1")
            runs_repo.start_run(s, job_id, 1, "w1", 0)
        assert jobs_repo.finish(s, done, "w1", "succeeded")
        assert runs_repo.release(s, released, "w1")
    assert run_outcomes(sessions, done) == [("w1", "succeeded")]
    assert run_outcomes(sessions, released) == [("w1", "requeued")]
    with sessions() as s:  # the worker's own end of the run, if it gets there, changes nothing
        runs_repo.end_run(s, done, "w1", "failed")
    assert run_outcomes(sessions, done) == [("w1", "succeeded")]


def test_a_fenced_out_finish_leaves_the_run_open(sessions, tenant_id):
    job_id = new_job(sessions, tenant_id)
    with sessions() as s:
        assert jobs_repo.claim(s, job_id, "w1")
        runs_repo.start_run(s, job_id, 1, "w1", 0)
        assert jobs_repo.finish(s, job_id, "w2", "succeeded") is False
    assert run_outcomes(sessions, job_id) == [("w1", None)]
