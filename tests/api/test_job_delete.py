"""DELETE /v1/jobs/{id}: finished jobs go with their history; the model stays unless asked;
the reconciler prunes finished jobs past BACKPROP_JOB_RETENTION_DAYS."""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
from sqlalchemy import func, select, update
from support import csv_bytes, wait_for_job

from service.db.models import EpochRow, Job, JobCheckpoint, JobRun, utcnow
from service.db.session import session_factory
from service.worker.reconciler import reconcile_once

NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}


def dataset(client, rows: int = 30) -> str:
    data = [[*np.random.default_rng(i).normal(size=2).tolist(), i % 2] for i in range(rows)]
    r = client.post(
        "/v1/datasets", files={"file": ("d.csv", csv_bytes(["a", "b", "t"], data))},
        data={"target": "t"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["id"]


def finished_job(client) -> dict:
    body = {"dataset_id": dataset(client), "network": NETWORK, "training": {"epochs": 3}}
    done = wait_for_job(client, client.post("/v1/jobs", json=body).json()["id"])
    assert done["status"] == "succeeded" and done["model_id"]
    return done


def rows_left(client, job_id: str) -> int:
    with session_factory(client.app_settings.sqlalchemy_url)() as s:
        return sum(
            s.scalar(select(func.count()).select_from(t).where(t.job_id == job_id))
            for t in (EpochRow, JobRun, JobCheckpoint)
        )


def test_delete_finished_job_keeps_its_model(app_client):
    job = finished_job(app_client)
    assert rows_left(app_client, job["id"]) > 0
    r = app_client.delete(f"/v1/jobs/{job['id']}")
    assert r.status_code == 204, r.text
    for path in (f"/v1/jobs/{job['id']}", f"/v1/jobs/{job['id']}/history"):
        assert app_client.get(path).status_code == 404
    assert app_client.delete(f"/v1/jobs/{job['id']}").status_code == 404
    assert rows_left(app_client, job["id"]) == 0
    assert app_client.get("/v1/jobs").json()["total"] == 0
    r = app_client.post(f"/v1/models/{job['model_id']}/predict", json={"instances": [[1, 2]]})
    assert r.status_code == 200, r.text


def test_delete_model_true_deletes_the_model_too(app_client):
    job = finished_job(app_client)
    predict = f"/v1/models/{job['model_id']}/predict"
    assert app_client.post(predict, json={"instances": [[1, 2]]}).status_code == 200  # cached
    r = app_client.delete(f"/v1/jobs/{job['id']}", params={"delete_model": "true"})
    assert r.status_code == 204, r.text
    assert app_client.get(f"/v1/models/{job['model_id']}").status_code == 404
    assert app_client.post(predict, json={"instances": [[1, 2]]}).status_code == 404


def test_running_job_is_409_until_cancelled(app_client):
    body = {
        "dataset_id": dataset(app_client, rows=3000),
        "network": NETWORK,
        "training": {"epochs": 100000, "batch_size": 4},
    }
    job_id = app_client.post("/v1/jobs", json=body).json()["id"]
    deadline = time.monotonic() + 30
    while app_client.get(f"/v1/jobs/{job_id}").json()["status"] != "running":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    r = app_client.delete(f"/v1/jobs/{job_id}")
    assert r.status_code == 409 and "cancel it first" in r.json()["detail"], r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    app_client.post(f"/v1/jobs/{job_id}/cancel")
    assert wait_for_job(app_client, job_id, timeout=30)["status"] == "cancelled"
    assert app_client.delete(f"/v1/jobs/{job_id}").status_code == 204
    assert rows_left(app_client, job_id) == 0


class NoPublisher:
    def publish(self, job_id: str) -> None:
        raise AssertionError(f"nothing should be published, got {job_id}")


def test_reconciler_prunes_past_retention_only_when_set(app_client):
    old, recent = finished_job(app_client), finished_job(app_client)
    settings = app_client.app_settings
    with session_factory(settings.sqlalchemy_url)() as s:
        s.execute(
            update(Job).where(Job.id == old["id"]).values(finished_at=utcnow() - timedelta(days=3))
        )
        s.commit()
    assert settings.job_retention_days == 0  # off by default: nothing is pruned
    reconcile_once(settings, NoPublisher(), stale_publish_seconds=3600)
    assert app_client.get(f"/v1/jobs/{old['id']}").status_code == 200
    retained = settings.model_copy(update={"job_retention_days": 2})
    for _ in range(2):  # a second pass (or another process) finds nothing more to do
        reconcile_once(retained, NoPublisher(), stale_publish_seconds=3600)
        assert app_client.get(f"/v1/jobs/{old['id']}").status_code == 404
        assert app_client.get(f"/v1/jobs/{recent['id']}").status_code == 200
    assert app_client.get(f"/v1/models/{old['model_id']}").status_code == 200
