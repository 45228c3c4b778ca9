"""A production-shaped cluster for reliability tests: API + Celery workers, PostgreSQL, Redis."""

from __future__ import annotations

import io
import os
import signal
import time
from typing import Any

import httpx
import numpy as np
from processes import Proc, ProcessGroup, wait_healthy
from support import free_port

FAST_REPAIR = {
    "BACKPROP_HEARTBEAT_SECONDS": "0.3",
    "BACKPROP_LEASE_SECONDS": "3",
    "BACKPROP_RECONCILE_SECONDS": "0.5",
    "BACKPROP_REPUBLISH_AFTER_SECONDS": "3",
    "BACKPROP_CANCEL_POLL_SECONDS": "0.05",
    "BACKPROP_CHECKPOINT_SECONDS": "0",
    "BACKPROP_PROGRESS_SECONDS": "0",
}

NETWORK = {
    "layers": [
        {"type": "dense", "units": 64, "activation": "relu"},
        {"type": "dropout", "rate": 0.1},
        {"type": "dense", "units": 64, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
}


def training(epochs: int, batch_size: int = 16) -> dict[str, Any]:
    return {
        "optimizer": {"type": "adam", "learning_rate": 0.002},
        "epochs": epochs,
        "batch_size": batch_size,
        "validation_split": 0.2,
        "seed": 11,
    }


class Cluster:
    """Starts the pieces on demand and talks to the API as one tenant."""

    def __init__(
        self, processes: ProcessGroup, database_url: str, broker_url: str, **env: str
    ) -> None:
        self.processes = processes
        processes.env.update(
            {
                "BACKPROP_DATABASE_URL": database_url,
                "BACKPROP_BROKER_URL": broker_url,
                **FAST_REPAIR,
                **env,
            }
        )
        processes.run("migrate")
        key = processes.run("keys", "create", "--tenant", "reliability").splitlines()[-1]
        self.port = free_port()
        self.api = processes.start("api", "api", "--port", str(self.port))
        wait_healthy(f"http://127.0.0.1:{self.port}", self.api)
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        self.workers = 0

    def worker(self, concurrency: int = 1) -> Proc:
        self.workers += 1
        return self.processes.start(
            f"worker{self.workers}", "worker", "--concurrency", str(concurrency)
        )

    @staticmethod
    def kill(proc: Proc, sig: int = signal.SIGKILL) -> None:
        os.killpg(proc.popen.pid, sig)
        proc.popen.wait(timeout=60)

    def dataset(self, rows: int = 2000, features: int = 20) -> str:
        rng = np.random.default_rng(5)
        X = rng.normal(size=(rows, features)).astype(np.float32)
        y = (X @ rng.normal(size=(features, 3))).argmax(axis=1)
        buf = io.BytesIO()
        np.savez(buf, X=X, y=y)
        r = self.client.post("/v1/datasets", files={"file": ("d.npz", buf.getvalue())})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def submit(self, dataset_id: str, epochs: int, batch_size: int = 16, **extra: Any) -> str:
        body = {
            "dataset_id": dataset_id,
            "network": NETWORK,
            "training": training(epochs, batch_size),
            **extra,
        }
        r = self.client.post("/v1/jobs", json=body)
        assert r.status_code == 202, r.text
        return r.json()["id"]

    def job(self, job_id: str) -> dict[str, Any]:
        return self.client.get(f"/v1/jobs/{job_id}").json()

    def history(self, job_id: str) -> list[int]:
        return [e["epoch"] for e in self.client.get(f"/v1/jobs/{job_id}/history").json()["epochs"]]

    def wait_epochs(self, job_id: str, at_least: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.history(job_id)) < at_least:
            assert time.monotonic() < deadline, self.job(job_id)
            time.sleep(0.05)

    def wait_status(self, job_id: str, statuses: tuple[str, ...], timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while (job := self.job(job_id))["status"] not in statuses:
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        return job

    def dropped_deliveries(self, job_id: str) -> int:
        """How many deliveries of the job the workers dropped without running it: each
        logs "job <id> not claimed" after losing the claim, and then writes nothing."""
        needle = f"job {job_id} not claimed"
        workers = [p for p in self.processes.procs if p.name.startswith("worker")]
        return sum(p.log.read_text(errors="replace").count(needle) for p in workers)

    def weights(self, model_id: str) -> dict[str, np.ndarray]:
        r = self.client.get(f"/v1/models/{model_id}/weights")
        assert r.status_code == 200, r.text
        with np.load(io.BytesIO(r.content), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
