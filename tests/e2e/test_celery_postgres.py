"""Production layout: `backprop api` + `backprop worker` processes on PostgreSQL and Redis."""

from __future__ import annotations

import httpx
import pytest
from flows import sklearn_wine_accuracy, train_and_predict_wine
from processes import wait_healthy
from support import free_port, wait_for_job

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]


def test_train_over_http_with_celery_workers(processes, postgres_url, redis_url):
    processes.env.update({"BACKPROP_DATABASE_URL": postgres_url, "BACKPROP_BROKER_URL": redis_url})
    assert "up to date" in processes.run("migrate")
    key = processes.run("keys", "create", "--tenant", "e2e").strip().splitlines()[-1]
    assert key.startswith("bp_")
    port = free_port()
    api = processes.start("api", "api", "--port", str(port))
    processes.start("worker1", "worker", "--concurrency", "1")
    processes.start("worker2", "worker", "--concurrency", "1")
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, api)
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        ready = c.get("/readyz").json()
        assert ready["checks"] == {"database": "ok", "broker": "ok"}
        job, accuracy = train_and_predict_wine(c)
        assert job["attempt"] == 1
        assert accuracy >= sklearn_wine_accuracy() - 0.023, accuracy  # within one test sample

        # Several jobs at once spread over both workers, each runs exactly once.
        body = c.get(f"/v1/jobs/{job['id']}").json()
        spec = {
            "dataset_id": body["dataset_id"],
            "network": body["network"],
            "training": {**body["training"], "epochs": 5},
        }
        ids = [c.post("/v1/jobs", json=spec).json()["id"] for _ in range(4)]
        for job_id in ids:
            done = wait_for_job(c, job_id, timeout=120)
            assert done["status"] == "succeeded" and done["attempt"] == 1, done
            epochs = c.get(f"/v1/jobs/{job_id}/history").json()["epochs"]
            assert [e["epoch"] for e in epochs] == [1, 2, 3, 4, 5]
        assert c.get("/v1/models").json()["total"] == 5
