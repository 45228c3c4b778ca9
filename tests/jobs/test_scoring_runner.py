"""run_scoring_job on its own: chunks stored with the progress, a run taken over from a
dead worker resumes at the first missing chunk (no row twice), shutdown hands it back."""

from __future__ import annotations

import threading
from datetime import timedelta

import numpy as np
from sqlalchemy import select, update

from service.db import jobs_repo, scoring_repo
from service.db.blobs import arrays_to_npz
from service.db.keys import get_or_create_tenant
from service.db.models import Dataset, Job, JobRun, ScoreChunk, utcnow
from service.db.session import session_factory
from service.jobs.dispatch import run_job
from service.jobs.scoring_runner import run_scoring_job
from service.schemas.training import TrainingSpec

ROWS, CHUNK = 70, 16
SPEC = {
    "network": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
    "training": TrainingSpec(epochs=2, batch_size=8, seed=7).model_dump(),
}


def scoring_run(settings) -> str:
    """A trained model and a queued run scoring its data set in chunks of CHUNK rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(ROWS, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    sessions = session_factory(settings.sqlalchemy_url)
    with sessions() as s:
        tenant = get_or_create_tenant(s, "t")
        ds = Dataset(
            tenant_id=tenant.id,
            name="d",
            format="json",
            rows=ROWS,
            features=2,
            input_shape=[2],
            feature_names=["a", "b"],
            target="y",
            task="classification",
            classes=["no", "yes"],
            size_bytes=1,
            arrays=arrays_to_npz({"X": X, "y": y}),
        )
        s.add(ds)
        s.flush()
        job = jobs_repo.create_job(s, tenant.id, ds.id, SPEC, 3)
        s.commit()
        tenant_id, dataset_id, job_id = tenant.id, ds.id, job.id
    assert run_job(job_id, settings) == "succeeded"  # dispatched as a training job
    with sessions() as s:
        model_id = s.get(Job, job_id).model_id
        run = scoring_repo.create_score_run(s, tenant_id, model_id, dataset_id, CHUNK, 3)
        s.commit()
        return run.id


def csv_of(settings, run_id: str) -> str:
    with session_factory(settings.sqlalchemy_url)() as s:
        return b"".join(scoring_repo.iter_chunks(s, run_id)).decode()


def test_a_run_stores_every_row_once_in_chunks(migrated):
    run_id = scoring_run(migrated)
    assert run_job(run_id, migrated) == "succeeded"
    assert run_scoring_job(run_id, migrated) == "skipped"  # a late redelivery
    lines = csv_of(migrated, run_id).splitlines()
    assert lines[0] == "a,b,y,prediction,p(no),p(yes)" and len(lines) == ROWS + 1
    with session_factory(migrated.sqlalchemy_url)() as s:
        run = s.get(Job, run_id)
        assert run.status == "succeeded" and run.kind == "score"
        assert run.progress == {
            "rows": ROWS,
            "total": ROWS,
            "fraction": 1.0,
            "chunk": 5,
            "chunks": 5,
        }
        sizes = s.scalars(select(ScoreChunk.rows).order_by(ScoreChunk.chunk)).all()
    assert sizes == [16, 16, 16, 16, 6]


def test_a_dead_worker_s_run_resumes_at_the_first_missing_chunk(migrated):
    reference = scoring_run(migrated)
    assert run_job(reference, migrated) == "succeeded"
    run_id = scoring_run(migrated)
    sessions = session_factory(migrated.sqlalchemy_url)
    first = csv_of(migrated, reference).encode().split(b"\n")
    with sessions() as s:  # a worker claims, stores two chunks, then dies
        assert jobs_repo.claim(s, run_id, "ghost")
        for number in (0, 1):
            text = b"\n".join(first[number * CHUNK + (number > 0) : (number + 1) * CHUNK + 1])
            chunk = (number, number * CHUNK, CHUNK, text + b"\n")
            assert scoring_repo.save_chunk(s, run_id, "ghost", chunk, {"rows": 32}, {})
        old = utcnow() - timedelta(seconds=600)
        s.execute(update(Job).where(Job.id == run_id).values(heartbeat_at=old))
        s.commit()
        assert jobs_repo.release_stale(s, lease_seconds=60) == [run_id]
        # the dead worker's late write is fenced off
        assert not scoring_repo.save_chunk(s, run_id, "ghost", (2, 32, 16, b"x\n"), {}, {})
    assert run_job(run_id, migrated) == "succeeded"
    assert csv_of(migrated, run_id) == csv_of(migrated, reference)
    with sessions() as s:
        runs = s.execute(
            select(JobRun.attempt, JobRun.resumed_from_epoch).where(JobRun.job_id == run_id)
        ).all()
    assert runs == [(2, 2)]  # attempt 2 started at chunk 2


def test_shutdown_hands_the_run_back_and_cancel_ends_it(migrated):
    run_id = scoring_run(migrated)
    stop = threading.Event()
    stop.set()
    assert run_scoring_job(run_id, migrated, stop) == "requeued"
    with session_factory(migrated.sqlalchemy_url)() as s:
        assert s.get(Job, run_id).status == "queued"
        jobs_repo.request_cancel(s, run_id)
        assert s.get(Job, run_id).status == "cancelled"
    assert run_scoring_job(run_id, migrated) == "skipped"
