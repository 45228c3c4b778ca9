"""Accepted jobs are never lost, run twice or left stuck: real workers, PostgreSQL, Redis."""

from __future__ import annotations

import signal
import time

import numpy as np
import pytest
from cluster import Cluster
from sqlalchemy import create_engine, text

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def cluster(processes, postgres_url, private_redis) -> Cluster:
    return Cluster(processes, postgres_url, private_redis.url)


def runs(database_url: str, job_id: str) -> list[tuple[int, str | None, int]]:
    """(attempt, outcome, resumed_from_epoch) of each run of the job, in order."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT attempt, outcome, resumed_from_epoch FROM job_runs "
                "WHERE job_id = :j ORDER BY id"
            ),
            {"j": job_id},
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def checkpoint_epoch(database_url: str, job_id: str) -> int:
    """Epoch of the job's saved checkpoint (0 when none is saved yet)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        epoch = conn.execute(
            text("SELECT epoch FROM job_checkpoints WHERE job_id = :j"), {"j": job_id}
        ).scalar()
    engine.dispose()
    return int(epoch or 0)


def wait_checkpoint(database_url: str, job_id: str, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while (epoch := checkpoint_epoch(database_url, job_id)) < at_least:
        assert time.monotonic() < deadline, f"checkpoint stuck at epoch {epoch}"
        time.sleep(0.05)
    return epoch


def test_sigkill_mid_training_resumes_with_identical_weights(cluster, postgres_url):
    dataset = cluster.dataset()
    victim = cluster.worker()
    job_id = cluster.submit(dataset, epochs=25)
    # Epoch rows may be written a moment before the checkpoint of the same epoch (a crash in
    # between only means that epoch is re-run and its row kept), so wait on the checkpoint.
    saved = wait_checkpoint(postgres_url, job_id, 3)
    cluster.kill(victim)  # SIGKILL: no chance to clean up
    assert cluster.job(job_id)["status"] == "running"
    cluster.worker()
    done = cluster.wait_status(job_id, ("succeeded", "failed"))
    assert done["status"] == "succeeded" and done["attempt"] == 2, done
    assert cluster.history(job_id) == list(range(1, 26))  # no gaps, no repeats
    attempts = runs(postgres_url, job_id)
    assert [a for a, _, _ in attempts] == [1, 2] and attempts[1][1] == "succeeded"
    assert attempts[1][2] >= saved  # resumed from its last checkpoint, not from scratch
    reference = cluster.submit(dataset, epochs=25)  # same seed, never interrupted
    ref = cluster.wait_status(reference, ("succeeded",))
    a, b = cluster.weights(done["model_id"]), cluster.weights(ref["model_id"])
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_duplicate_delivery_runs_once(cluster, postgres_url, private_redis):
    from service.config import Settings
    from service.worker.publish import CeleryPublisher

    dataset = cluster.dataset(rows=400)
    cluster.worker(concurrency=2)
    cluster.worker(concurrency=2)
    job_id = cluster.submit(dataset, epochs=5)
    publisher = CeleryPublisher(Settings(broker_url=private_redis.url))
    for _ in range(4):
        publisher.publish(job_id)
    done = cluster.wait_status(job_id, ("succeeded", "failed"))
    assert done["status"] == "succeeded" and done["attempt"] == 1
    # five deliveries (the submit's and four duplicates), one claim: once the other four
    # are dropped, no delivery is left that could start a second run
    deadline = time.monotonic() + 60
    while (dropped := cluster.dropped_deliveries(job_id)) < 4:
        assert time.monotonic() < deadline, f"only {dropped} of 4 duplicates were dropped"
        time.sleep(0.05)
    assert runs(postgres_url, job_id) == [(1, "succeeded", 0)]
    assert cluster.history(job_id) == [1, 2, 3, 4, 5]


def test_poison_job_fails_after_max_attempts(processes, postgres_url, private_redis):
    cluster = Cluster(processes, postgres_url, private_redis.url, BACKPROP_MAX_ATTEMPTS="2")
    dataset = cluster.dataset()
    job_id = cluster.submit(dataset, epochs=10000)
    for attempt in (1, 2):  # the job "crashes" every worker that picks it up
        worker = cluster.worker()
        deadline = time.monotonic() + 60
        while not (
            cluster.job(job_id)["status"] == "running" and cluster.job(job_id)["attempt"] == attempt
        ):
            assert time.monotonic() < deadline, cluster.job(job_id)
            time.sleep(0.05)
        cluster.kill(worker)
    done = cluster.wait_status(job_id, ("failed",), timeout=60)
    assert "max_attempts" in done["error"] and done["attempt"] == 2


def test_redis_down_and_restarted(cluster, private_redis):
    dataset = cluster.dataset(rows=300)
    private_redis.stop()
    down = cluster.submit(dataset, epochs=3)  # broker down: still accepted
    assert cluster.job(down)["status"] == "queued"
    private_redis.start()
    queued = [cluster.submit(dataset, epochs=3) for _ in range(3)]
    private_redis.stop()  # restart loses the queued messages (no persistence here)
    private_redis.start()
    cluster.worker()
    for job_id in [down, *queued]:
        done = cluster.wait_status(job_id, ("succeeded", "failed"), timeout=90)
        assert done["status"] == "succeeded" and done["attempt"] == 1, done


def test_cancel_running_and_queued(cluster):
    dataset = cluster.dataset()
    cluster.worker()  # one process: it takes the queue's messages one at a time, in order
    running = cluster.submit(dataset, epochs=10000, batch_size=1)  # 1600 batches an epoch
    queued = cluster.submit(dataset, epochs=5)  # waits behind the first on one worker
    cluster.wait_epochs(running, 2)
    assert cluster.job(queued)["status"] == "queued"
    cluster.client.post(f"/v1/jobs/{queued}/cancel").raise_for_status()
    assert cluster.job(queued)["status"] == "cancelled"
    r = cluster.client.post(f"/v1/jobs/{running}/cancel", json={"keep_model": True})
    assert r.status_code == 202
    finished = len(cluster.history(running))  # epochs done once the cancel was accepted
    done = cluster.wait_status(running, ("cancelled",), timeout=30)
    # checked between mini-batches, a cancel stops the job within the epoch it was in
    assert len(cluster.history(running)) <= finished + 1
    model = cluster.client.get(f"/v1/models/{done['model_id']}")
    assert model.status_code == 200 and model.json()["metrics"]["epochs_run"] >= 2
    # a job submitted now is delivered after the cancelled one's message: once it has run,
    # the worker has been handed that message too and must have dropped it
    later = cluster.submit(dataset, epochs=1)
    assert cluster.wait_status(later, ("succeeded", "failed"))["status"] == "succeeded"
    assert cluster.dropped_deliveries(queued) >= 1
    assert cluster.job(queued)["status"] == "cancelled" and cluster.job(queued)["attempt"] == 0


def test_sigterm_checkpoints_and_requeues(cluster, postgres_url):
    dataset = cluster.dataset()
    first = cluster.worker()
    job_id = cluster.submit(dataset, epochs=30)
    cluster.wait_epochs(job_id, 3)
    cluster.kill(first, signal.SIGTERM)  # warm shutdown: checkpoint, hand back, exit
    assert cluster.job(job_id)["status"] == "queued"
    cluster.worker()
    done = cluster.wait_status(job_id, ("succeeded", "failed"))
    assert done["status"] == "succeeded" and done["attempt"] == 1, done
    assert cluster.history(job_id) == list(range(1, 31))
    (_, outcome1, _), (_, outcome2, resumed) = runs(postgres_url, job_id)
    assert outcome1 == "requeued" and outcome2 == "succeeded" and resumed >= 3


def test_time_limit_fails_after_checkpoint(cluster):
    dataset = cluster.dataset()
    cluster.worker()
    job_id = cluster.submit(dataset, epochs=10000, max_runtime_seconds=1.5)
    done = cluster.wait_status(job_id, ("failed", "succeeded"), timeout=30)
    assert done["status"] == "failed" and "time limit" in done["error"], done
    assert cluster.history(job_id)  # the epochs done are kept


def test_burst_of_100_jobs_each_runs_once(cluster, postgres_url):
    dataset = cluster.dataset(rows=100, features=4)
    cluster.worker(concurrency=2)
    cluster.worker(concurrency=2)
    ids = [cluster.submit(dataset, epochs=1) for _ in range(100)]
    for job_id in ids:
        done = cluster.wait_status(job_id, ("succeeded", "failed"), timeout=180)
        assert done["status"] == "succeeded" and done["attempt"] == 1, done
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        counts = conn.execute(text("SELECT job_id, count(*) FROM job_runs GROUP BY job_id")).all()
        models = conn.execute(text("SELECT count(*) FROM models")).scalar()
    engine.dispose()
    assert len(counts) == 100 and all(n == 1 for _, n in counts) and models == 100


def test_long_epochs_checkpoint_between_mini_batches(processes, postgres_url, private_redis):
    cluster = Cluster(processes, postgres_url, private_redis.url, BACKPROP_CHECKPOINT_SECONDS="0.1")
    dataset = cluster.dataset(rows=8000)
    victim = cluster.worker()
    job_id = cluster.submit(dataset, epochs=2, batch_size=1)  # epochs of seconds
    engine = create_engine(postgres_url)
    deadline = time.monotonic() + 60
    while True:  # wait for a checkpoint taken inside the first epoch
        with engine.connect() as conn:
            meta = conn.execute(
                text("SELECT meta FROM job_checkpoints WHERE job_id = :j"), {"j": job_id}
            ).scalar()
        if meta is not None and meta["epoch"] == 0 and meta["batch"] > 0:
            break
        assert time.monotonic() < deadline, cluster.job(job_id)
        time.sleep(0.05)
    engine.dispose()
    cluster.kill(victim)
    cluster.worker()
    done = cluster.wait_status(job_id, ("succeeded", "failed"))
    assert done["status"] == "succeeded" and done["attempt"] == 2, done
    assert cluster.history(job_id) == [1, 2]
    reference = cluster.wait_status(cluster.submit(dataset, epochs=2, batch_size=1), ("succeeded",))
    a, b = cluster.weights(done["model_id"]), cluster.weights(reference["model_id"])
    assert all(np.array_equal(a[k], b[k]) for k in a)
