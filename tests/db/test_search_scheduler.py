"""The scheduler from database state: processes advancing a search at the same moment
never duplicate a trial nor exceed its parallelism (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, update

from service.db.models import EpochRow, Job, Search
from service.search.scheduler import advance, judge_trial, trial_started

SPACE = {"training.optimizer.learning_rate": {"loguniform": [1e-4, 1e-1]}}
BODY = {
    "network": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
    "training": {"optimizer": {"type": "adam", "learning_rate": 0.001}, "epochs": 2},
    "max_runtime_seconds": None,
}


def make_search(
    sessions, tenant_id: str, total: int, parallelism: int, pruning: dict | None = None
) -> str:
    with sessions() as session:
        search = Search(
            tenant_id=tenant_id,
            dataset_id="d",
            status="queued",
            body=BODY,
            space=SPACE,
            strategy={"type": "random", "max_trials": total, "parallelism": parallelism, "seed": 0},
            objective={"metric": "val_loss", "direction": "minimize"},
            pruning=pruning,
            total_trials=total,
            parallelism=parallelism,
            cancel_requested=False,
            version=0,
        )
        session.add(search)
        session.commit()
        return search.id


def active(sessions, search_id: str) -> int:
    with sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.search_id == search_id, Job.status.in_(("queued", "running")))
        )


def test_simultaneous_advances_create_exactly_parallelism_trials(sessions, tenant_id):
    search_id = make_search(sessions, tenant_id, total=10, parallelism=3)
    start = threading.Barrier(4)
    created: list[list[str]] = []

    def advancer() -> None:
        with sessions() as session:
            start.wait()
            created.append(advance(session, search_id))

    threads = [threading.Thread(target=advancer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(c) for c in created) == [0, 0, 0, 3]
    assert active(sessions, search_id) == 3


def test_workers_finishing_and_advancing_at_once_run_every_trial_once(sessions, tenant_id):
    """Four 'workers' each finish a queued trial and advance, concurrently, while a
    watcher samples the number of unfinished trials."""
    search_id = make_search(sessions, tenant_id, total=24, parallelism=3)
    with sessions() as session:
        advance(session, search_id)
    over: list[int] = []
    stop = threading.Event()

    def watcher() -> None:
        while not stop.is_set():
            n = active(sessions, search_id)
            if n > 3:
                over.append(n)

    def worker(seed: int) -> None:
        with sessions() as session:
            for _ in range(200):
                job_id = session.scalar(
                    select(Job.id)
                    .where(Job.search_id == search_id, Job.status == "queued")
                    .order_by(Job.trial)
                    .limit(1)
                )
                session.commit()
                if job_id is not None:
                    won = session.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.status == "queued")
                        .values(status="succeeded", metrics={"val_loss": 1.0 / (seed + 2)})
                    ).rowcount
                    session.commit()
                    if won:
                        advance(session, search_id)
                status = session.scalar(select(Search.status).where(Search.id == search_id))
                session.commit()
                if status == "succeeded":
                    return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    watch = threading.Thread(target=watcher)
    watch.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    watch.join()
    assert not over, f"more than 3 unfinished trials seen: {over}"
    with sessions() as session:
        trials = session.scalars(select(Job.trial).where(Job.search_id == search_id)).all()
        search = session.get(Search, search_id)
        assert sorted(trials) == list(range(24))
        assert search.status == "succeeded" and search.finished_at is not None


def test_a_trial_is_pruned_once_and_only_by_its_lease_owner(sessions, tenant_id):
    asha = {"type": "asha", "min_epochs": 1, "reduction_factor": 3}
    search_id = make_search(sessions, tenant_id, total=2, parallelism=2, pruning=asha)
    with sessions() as session:
        first, second = advance(session, search_id)
        assert trial_started(session, search_id) == asha
        assert session.get(Search, search_id).status == "running"
        for job_id, owner, val_loss in ((first, "w1", 0.5), (second, "w2", 0.9)):
            session.execute(
                update(Job).where(Job.id == job_id).values(status="running", lease_owner=owner)
            )
            row = EpochRow(job_id=job_id, epoch=1, loss=1, val_loss=val_loss, metrics={}, seconds=1)
            session.add(row)
        session.commit()
        assert judge_trial(session, first, "w1") is False  # alone at its rung: promoted
        assert judge_trial(session, second, "w1") is False  # not w1's job: no write
        assert not session.get(Job, second, populate_existing=True).cancel_requested
        assert judge_trial(session, second, "w2") is True  # worse than the first at epoch 1
        job = session.get(Job, second, populate_existing=True)
        assert job.cancel_requested and job.stop_reason.startswith("pruned by asha at epoch 1")
        assert judge_trial(session, second, "w2") is False  # asked to stop already
