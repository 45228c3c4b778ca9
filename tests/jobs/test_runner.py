"""run_training_job on its own: one winner per job, cancellation, missing data."""

from __future__ import annotations

import threading

import numpy as np

from service.db import jobs_repo, runs_repo
from service.db.blobs import arrays_to_npz, npz_to_arrays
from service.db.keys import get_or_create_tenant
from service.db.models import Dataset, EpochRow, Job, TrainedModel
from service.db.session import session_factory
from service.jobs.runner import run_training_job

SPEC = {
    "network": {
        "layers": [
            {"type": "dense", "units": 8, "activation": "tanh"},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    },
    "training": {
        "loss": "cross_entropy",
        "optimizer": {"type": "adam", "learning_rate": 0.05},
        "epochs": 5,
        "batch_size": 8,
        "validation_split": 0.25,
        "seed": 7,
    },
}


def make_job(settings, spec=SPEC) -> str:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    with session_factory(settings.sqlalchemy_url)() as s:
        tenant = get_or_create_tenant(s, "t")
        ds = Dataset(
            tenant_id=tenant.id,
            name="d",
            format="json",
            rows=64,
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
        job = jobs_repo.create_job(s, tenant.id, ds.id, spec, 3)
        s.commit()
        return job.id


def test_duplicate_deliveries_train_once(migrated):
    job_id = make_job(migrated)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(run_training_job(job_id, migrated)))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["skipped", "skipped", "succeeded"]
    with session_factory(migrated.sqlalchemy_url)() as s:
        job = s.get(Job, job_id)
        assert job.attempt == 1 and job.status == "succeeded"
        epochs = s.query(EpochRow.epoch).filter_by(job_id=job_id).order_by(EpochRow.epoch).all()
        assert [e for (e,) in epochs] == [1, 2, 3, 4, 5]
        assert s.query(TrainedModel).filter_by(job_id=job_id).count() == 1
    assert run_training_job(job_id, migrated) == "skipped"  # a late redelivery


def test_same_seed_same_weights(migrated):
    first, second = make_job(migrated), make_job(migrated)
    assert run_training_job(first, migrated) == run_training_job(second, migrated) == "succeeded"
    with session_factory(migrated.sqlalchemy_url)() as s:
        a, b = (
            npz_to_arrays(s.query(TrainedModel).filter_by(job_id=j).one().weights)
            for j in (first, second)
        )
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_cancelled_before_start_is_not_run(migrated):
    job_id = make_job(migrated)
    with session_factory(migrated.sqlalchemy_url)() as s:
        jobs_repo.request_cancel(s, job_id)
    assert run_training_job(job_id, migrated) == "skipped"


def test_deleted_dataset_fails_readably(migrated):
    job_id = make_job(migrated)
    with session_factory(migrated.sqlalchemy_url)() as s:
        s.delete(s.get(Dataset, s.get(Job, job_id).dataset_id))
        s.commit()
    assert run_training_job(job_id, migrated) == "failed"
    with session_factory(migrated.sqlalchemy_url)() as s:
        assert s.get(Job, job_id).error == "dataset was deleted"


def test_lease_is_kept_while_preparing(migrated, monkeypatch):
    """A slow data preparation step still heartbeats, so the reaper leaves the job alone."""
    import time as _time

    from service.db import jobs_repo
    from service.jobs import prepare
    from service.jobs.runner import run_training_job as run

    job_id = make_job(migrated)
    migrated.heartbeat_seconds = 0.05
    real = prepare.fit_inputs
    beats: list[object] = []

    def slow_fit_inputs(*args, **kwargs):
        with session_factory(migrated.sqlalchemy_url)() as s:
            first = s.get(Job, job_id).heartbeat_at
        _time.sleep(1.5)  # longer than the lease below: without heartbeats, stale
        with session_factory(migrated.sqlalchemy_url)() as s:
            beats.append((first, s.get(Job, job_id).heartbeat_at))
            # a lease 20 heartbeats long: a busy shared machine may delay a few of them
            assert jobs_repo.release_stale(s, lease_seconds=1.0) == []
        return real(*args, **kwargs)

    monkeypatch.setattr("service.jobs.runner.fit_inputs", slow_fit_inputs)
    assert run(job_id, migrated) == "succeeded"
    ((first, later),) = beats
    assert later > first


def test_cancel_with_keep_model_of_a_queued_job_that_trained_saves_its_model(migrated):
    """A job handed back to the queue (shutdown) with a checkpoint, then cancelled with
    keep_model: a worker claims it only to save that checkpoint's epoch as the model."""
    migrated.checkpoint_seconds = 0  # a checkpoint at every epoch's end
    spec = {**SPEC, "training": {**SPEC["training"], "epochs": 100000}}
    job_id = make_job(migrated, spec)
    sessions = session_factory(migrated.sqlalchemy_url)
    shutdown = threading.Event()

    def stop_after_three_epochs() -> None:
        while not shutdown.is_set():
            with sessions() as s:
                if s.query(EpochRow).filter_by(job_id=job_id).count() >= 3:
                    shutdown.set()
            shutdown.wait(0.01)

    threading.Thread(target=stop_after_three_epochs, daemon=True).start()
    assert run_training_job(job_id, migrated, shutdown) == "requeued"
    with sessions() as s:
        saved = runs_repo.load_checkpoint(s, job_id)
        assert s.get(Job, job_id).status == "queued" and saved.epoch >= 3
        jobs_repo.request_cancel(s, job_id, keep_model=True)
        assert s.get(Job, job_id).status == "queued"  # left for a worker to save the model
    assert run_training_job(job_id, migrated) == "cancelled"
    with sessions() as s:
        job = s.get(Job, job_id)
        model = s.get(TrainedModel, job.model_id)
        assert job.status == "cancelled" and model is not None
        assert model.metrics["epoch"] == model.metrics["epochs_run"] == saved.epoch


def test_cancel_without_keep_model_of_a_queued_job_ends_it_at_once(migrated):
    job_id = make_job(migrated)
    with session_factory(migrated.sqlalchemy_url)() as s:
        jobs_repo.request_cancel(s, job_id, keep_model=True)  # never trained: nothing to keep
        assert s.get(Job, job_id).status == "cancelled"
