"""The embedded executor stops promptly: a running job is asked to stop, queued ones stay
queued; the app's background threads end with its lifespan."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.config import Settings
from service.worker import embedded
from service.worker.embedded import EmbeddedExecutor


def test_shutdown_does_not_wait_for_jobs_that_never_started(monkeypatch, tmp_path):
    release = threading.Event()
    started: list[str] = []

    def fake_run_job(job_id: str, _settings: Settings, stopping: threading.Event) -> str:
        started.append(job_id)
        release.wait(60)  # the running job: it ends when the test lets it
        return "requeued" if stopping.is_set() else "succeeded"

    monkeypatch.setattr(embedded, "run_job", fake_run_job)
    monkeypatch.setattr(embedded, "after_job", lambda *_: None)
    settings = Settings(data_dir=tmp_path, embedded_workers=1, webhook_poll_seconds=0.05)
    executor = EmbeddedExecutor(settings)
    executor.publish("running")
    executor.publish("queued")  # waits behind the running one in the pool's queue
    deadline = time.monotonic() + 30
    while not started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started == ["running"]

    stopper = threading.Thread(target=executor.shutdown, kwargs={"timeout": 600})
    stopper.start()
    release.set()  # the running job stops; the queued one was cancelled, never started
    stopper.join(timeout=30)  # before the fix: the full 600 s on the cancelled future
    assert not stopper.is_alive(), "shutdown waited on a job that was cancelled before it ran"
    assert started == ["running"]


def test_the_apps_background_threads_have_ended_when_its_lifespan_has(migrated):
    """Shutdown joins the deliverer and the reconciler: none logs after the app ended."""
    names = ("backprop-deliverer", "backprop-reconciler")
    before = set(threading.enumerate())
    with TestClient(create_app(migrated)) as client:
        assert client.get("/healthz").status_code == 200
        started = [t for t in threading.enumerate() if t.name in names and t not in before]
        assert sorted(t.name for t in started) == sorted(names)
    assert [t.name for t in started if t.is_alive()] == []
