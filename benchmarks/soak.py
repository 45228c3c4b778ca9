#!/usr/bin/env python3
"""Bounded soak: N jobs through API + Celery workers while workers are SIGKILLed at random.

Prints jobs accepted, succeeded, failed, lost and run twice; exits 1 if any job was lost or
run twice. Needs PostgreSQL (a throwaway database is created and dropped) and redis-server.

    .venv/bin/python benchmarks/soak.py --jobs 60 --workers 3 --kill-every 4 --time-limit 300
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import psycopg
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
TERMINAL = {"succeeded", "failed", "cancelled"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Soak:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.procs: list[subprocess.Popen] = []
        self.db_name = f"bp_soak_{uuid.uuid4().hex[:8]}"
        admin = args.postgres.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_url = f"{args.postgres.rsplit('/', 1)[0]}/{self.db_name}"
        self.redis_port = free_port()
        self.redis = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
        self.env.update(
            {
                "BACKPROP_DATABASE_URL": self.db_url,
                "BACKPROP_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "BACKPROP_DATA_DIR": str(workdir),
                "BACKPROP_HEARTBEAT_SECONDS": "0.5",
                "BACKPROP_LEASE_SECONDS": "4",
                "BACKPROP_RECONCILE_SECONDS": "1",
                "BACKPROP_REPUBLISH_AFTER_SECONDS": "5",
                "BACKPROP_MAX_ATTEMPTS": "10",
                "BACKPROP_LOG_LEVEL": "WARNING",
            }
        )

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def spawn(self, *args: str) -> subprocess.Popen:
        log = (self.workdir / f"{args[0]}-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.redis.kill()
        create_engine(self.db_url).dispose()
        admin = self.args.postgres.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        soak = Soak(args, Path(tmp))
        try:
            soak.cli("migrate")
            key = soak.cli("keys", "create", "--tenant", "soak").splitlines()[-1]
            port = free_port()
            soak.spawn("api", "--port", str(port))
            workers = [soak.spawn("worker") for _ in range(args.workers)]
            client = httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                timeout=30,
                headers={"Authorization": f"Bearer {key}"},
            )
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("API did not start")
                time.sleep(0.2)
            data = np.random.default_rng(0)
            X = data.normal(size=(1500, 16)).astype(np.float32)
            y = (X @ data.normal(size=(16, 3))).argmax(axis=1)
            buf = io.BytesIO()
            np.savez(buf, X=X, y=y)
            ds = client.post("/v1/datasets", files={"file": ("d.npz", buf.getvalue())}).json()
            accepted: list[str] = []
            for i in range(args.jobs):
                body = {
                    "dataset_id": ds["id"],
                    "network": {
                        "layers": [
                            {"type": "dense", "units": 32, "activation": "relu"},
                            {"type": "dense", "units": 3, "activation": "softmax"},
                        ]
                    },
                    "training": {"epochs": rng.randint(3, args.max_epochs), "seed": i},
                }
                r = client.post("/v1/jobs", json=body)
                if r.status_code == 202:
                    accepted.append(r.json()["id"])
            kills = 0
            end = time.monotonic() + args.time_limit
            next_kill = time.monotonic() + args.kill_every
            statuses: dict[str, str] = {}
            while time.monotonic() < end:
                statuses = {j: client.get(f"/v1/jobs/{j}").json()["status"] for j in accepted}
                if all(s in TERMINAL for s in statuses.values()):
                    break
                if time.monotonic() >= next_kill:
                    victim = rng.randrange(len(workers))
                    os.killpg(workers[victim].pid, signal.SIGKILL)
                    workers[victim].wait()
                    workers[victim] = soak.spawn("worker")
                    kills += 1
                    next_kill = time.monotonic() + args.kill_every
                time.sleep(0.5)
            engine = create_engine(soak.db_url)
            with engine.connect() as conn:
                twice = conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT job_id FROM job_runs "
                        "WHERE outcome='succeeded' GROUP BY job_id HAVING count(*) > 1) t"
                    )
                ).scalar()
                models_twice = conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT job_id FROM models GROUP BY job_id "
                        "HAVING count(*) > 1) t"
                    )
                ).scalar()
                resumed = conn.execute(
                    text("SELECT count(DISTINCT job_id) FROM job_runs WHERE resumed_from_epoch > 0")
                ).scalar()
            engine.dispose()
            succeeded = sum(s == "succeeded" for s in statuses.values())
            failed = sum(s == "failed" for s in statuses.values())
            lost = sum(s not in TERMINAL for s in statuses.values())
            run_twice = int(twice) + int(models_twice)
            print(f"jobs accepted:  {len(accepted)} of {args.jobs}")
            print(f"workers killed: {kills} (SIGKILL); jobs resumed from a checkpoint: {resumed}")
            print(f"succeeded:      {succeeded}")
            print(f"failed:         {failed}")
            errors = {
                client.get(f"/v1/jobs/{j}").json()["error"]
                for j, st in statuses.items()
                if st == "failed"
            }
            for error in sorted(e for e in errors if e)[:5]:
                print(f"  failure: {error}")
            print(f"lost:           {lost}   (not finished within {args.time_limit}s)")
            print(f"run twice:      {run_twice}   (jobs trained to the end more than once)")
            return 0 if lost == 0 and run_twice == 0 and len(accepted) == args.jobs else 1
        finally:
            soak.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--jobs", type=int, default=60)
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--max-epochs", type=int, default=30)
    p.add_argument("--kill-every", type=float, default=4.0, help="seconds between kills")
    p.add_argument("--time-limit", type=float, default=300.0, help="seconds, then stop")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--postgres",
        default=os.environ.get(
            "BACKPROP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    return run(p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
