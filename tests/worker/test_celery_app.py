"""Celery is configured for safe delivery, and the task only hands off to the runner."""

from __future__ import annotations

from service.config import Settings
from service.worker import tasks
from service.worker.celery_app import TRAIN_TASK, make_celery


def test_delivery_settings():
    app = make_celery(Settings(broker_url="redis://127.0.0.1:6379/15"))
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_ignore_result is True


def test_task_calls_the_runner(monkeypatch):  # run_job: training or scoring, by kind
    calls, advanced = [], []
    monkeypatch.setattr(tasks, "run_job", lambda job_id: calls.append(job_id) or "ok")
    # A trial's end advances its search; here only that the task hands the id on.
    monkeypatch.setattr(tasks, "after_job", lambda _s, _p, job_id: advanced.append(job_id))
    monkeypatch.setattr(tasks, "_publisher", lambda _settings: None)
    assert tasks.train_job.name == TRAIN_TASK
    assert tasks.train_job.run("job-1") == "ok"
    assert calls == ["job-1"] and advanced == ["job-1"]
