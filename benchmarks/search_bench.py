#!/usr/bin/env python3
"""Hyperparameter search benchmarks on Celery workers (PostgreSQL + Redis), in one run.

1. Scaling: one 16-trial random search with 1 and with 2 `backprop worker` processes:
   trials per minute and their ratio (target >= 1.8x), with what limits it.
2. Pruning: a 27-trial grid with ASHA against no pruning: best objective within 1 % using at
   most 40 % of the epochs.
3. The peer: H2O-3's grid search of H2ODeepLearning (search_peer.py), same data, same grid of
   learning rate and hidden width: time to the best model and its metrics on a held-out test
   set (target: >= 10x faster, equal or better). Our trials there use mini-batches of 128
   (H2O's deep learning trains row by row).

Data (the same for every part and both sides of each comparison): 30,000 rows of 20 standard
normal features, 3 classes from a fixed random two-layer teacher plus noise; 20 % of them
validate (24,000 training rows); a separate 10,000-row test set. Trials are seconds of
training, so the parts measure training and scheduling rather than a trial's fixed per-job
costs (about 0.1 s: claim, load, save, the scheduler's transaction, publish).

    .venv/bin/pip install -e '.[bench]'   # h2o (ships its jar; needs Java 17)
    .venv/bin/python benchmarks/search_bench.py [--parts scaling,pruning,peer]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
from search_peer import h2o_grid

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/11")
ROWS, TEST_ROWS = 30_000, 10_000
RATES = [1e-3, 3e-3, 1e-2]
WIDTHS = [16, 64, 128]
NETWORK = {
    "layers": [
        {"type": "dense", "units": 64, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
}
# Replaying ASHA on the no-pruning grid's 27 curves in 200 trial orders: min_epochs 3 kept
# the best in 61-77 % of the orders with factors 2-4; factor 2 in this grid's own order.
ASHA = {"type": "asha", "min_epochs": 3, "reduction_factor": 2}
PEER_BATCH = 128  # our mini-batch in the peer part (the others use 32)


def make_data(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """3 classes from a random two-layer teacher: X (rows, 20) float32, y (rows,) int."""
    rng = np.random.default_rng(seed)
    W1, W2 = np.random.default_rng(99).normal(size=(2, 20, 20))
    X = rng.normal(size=(rows, 20)).astype(np.float32)
    y = (np.tanh(X @ W1) @ W2[:, :3] + 0.3 * rng.normal(size=(rows, 3))).argmax(axis=1)
    return X, y.astype(np.int64)


def npz(X: np.ndarray, y: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, X=X, y=y)
    return buf.getvalue()


@contextmanager
def cluster(workers: int):
    """`backprop api` + `workers` x `backprop worker --concurrency 1` on a fresh database."""
    import psycopg
    import redis

    name = f"bp_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(REDIS).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update(
        BACKPROP_DATA_DIR=tempfile.mkdtemp(prefix="search-bench-"),
        BACKPROP_LOG_LEVEL="WARNING",
        BACKPROP_RATE_LIMIT_PER_MINUTE="0",
        BACKPROP_DATABASE_URL=PG_ADMIN.rsplit("/", 1)[0].replace(
            "postgresql:", "postgresql+psycopg:"
        )
        + f"/{name}",
        BACKPROP_BROKER_URL=REDIS,
    )
    cli = [sys.executable, "-m", "service.cli"]
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([*cli, "migrate"], **run)
    key = subprocess.run([*cli, "keys", "create", "--tenant", "bench"], **run).stdout
    quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen([*cli, "api", "--port", str(port)], **quiet)]
    procs += [
        subprocess.Popen([*cli, "worker", "--concurrency", "1"], **quiet) for _ in range(workers)
    ]
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {key.split()[-1]}"},
        timeout=60,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with suppress(httpx.HTTPError):
                if client.get("/readyz").status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("the API did not start")
            time.sleep(0.2)
        time.sleep(3)  # let the workers connect to the broker
        yield client
    finally:
        client.close()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def upload(client: httpx.Client, data: bytes) -> str:
    r = client.post("/v1/datasets", files={"file": ("d.npz", data)})
    r.raise_for_status()
    return r.json()["id"]


def run_search(client: httpx.Client, body: dict) -> tuple[dict, list[dict], float]:
    """POST the search, wait for its end: (search, trials, seconds from its creation to its
    end by the server's clock, so that the polling neither blurs nor slows it)."""
    r = client.post("/v1/searches", json=body)
    assert r.status_code == 202, r.text
    search_id = r.json()["id"]
    ended = ("succeeded", "failed", "cancelled")
    while (search := client.get(f"/v1/searches/{search_id}").json())["status"] not in ended:
        time.sleep(0.25)
    seconds = _t(search["finished_at"]) - _t(search["created_at"])
    assert search["status"] == "succeeded", search
    return search, client.get(f"/v1/searches/{search_id}/trials").json()["trials"], seconds


def search_body(dataset_id: str, epochs: int, space: dict, strategy: dict) -> dict:
    return {
        "dataset_id": dataset_id,
        "network": NETWORK,
        "training": {"epochs": epochs, "batch_size": 32, "validation_split": 0.2, "seed": 1},
        "space": space,
        "strategy": {"parallelism": 2, **strategy},
    }


def grid_body(dataset_id: str, epochs: int, batch_sizes: list[int] | None) -> dict:
    space = {
        "training.optimizer.learning_rate": {"choice": RATES},
        "network.layers[0].units": {"choice": WIDTHS},
    }
    if batch_sizes:
        space["training.batch_size"] = {"choice": batch_sizes}
    trials = 9 * (len(batch_sizes) if batch_sizes else 1)
    return search_body(dataset_id, epochs, space, {"type": "grid", "max_trials": trials})


def _t(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def trial_time(client: httpx.Client, trials: list[dict], seconds: float, slots: int) -> str:
    """Where the time went: trial slots busy, training inside a trial, gaps between trials."""
    spans = sorted((_t(t["started_at"]), _t(t["finished_at"])) for t in trials)
    busy = sum(end - start for start, end in spans)
    training = sum(
        sum(e["seconds"] for e in client.get(f"/v1/jobs/{t['job_id']}/history").json()["epochs"])
        for t in trials
    )
    ends = sorted(end for _, end in spans)
    alone = ends[-1] - ends[-2] if slots > 1 else 0.0
    return (
        f"slots busy {busy / (slots * seconds) * 100:.0f} %, training {training / busy * 100:.0f} "
        f"% of trial time, {(busy - training) / len(trials) * 1000:.0f} ms per trial outside "
        f"epochs, last trial alone {alone:.1f} s, load average {os.getloadavg()[0]:.1f}"
    )


def scaling(data: bytes) -> None:
    rates = {}
    space = {
        "training.optimizer.learning_rate": {"loguniform": [1e-4, 3e-2]},
        "network.layers[0].units": {"choice": WIDTHS},
    }
    for workers in (1, 2):
        with cluster(workers) as client:
            strategy = {"type": "random", "max_trials": 16, "seed": 5}
            body = search_body(upload(client, data), 10, space, strategy)
            _, trials, seconds = run_search(client, body)
            rates[workers] = len(trials) / seconds * 60
            print(
                f"  {workers} worker(s): 16 trials in {seconds:.1f} s = "
                f"{rates[workers]:.1f} trials/min; {trial_time(client, trials, seconds, workers)}"
            )
    ratio = rates[2] / rates[1]
    verdict = "PASS" if ratio >= 1.8 else "FAIL"
    print(f"  ratio 2 workers / 1 worker: {ratio:.2f}x (target >= 1.8x): {verdict}")


def pruning(client: httpx.Client, dataset_id: str, epochs: int = 27) -> None:
    results = {}
    for name, prune in (("none", None), ("asha", ASHA)):
        body = {**grid_body(dataset_id, epochs, [16, 32, 64]), "pruning": prune}
        search, trials, seconds = run_search(client, body)
        used = sum(t["epochs_run"] for t in trials)
        results[name] = (search["best"]["value"], used, seconds)
        pruned = sum(t["status"] == "pruned" for t in trials)
        print(
            f"  {name:5s}: best val_loss {search['best']['value']:.4f}, "
            f"epochs {used} of {27 * epochs}, {pruned} pruned, {seconds:.1f} s"
        )
    (b0, e0, s0), (b1, e1, s1) = results["none"], results["asha"]
    gap, share = (b1 - b0) / b0, e1 / e0
    ok = gap <= 0.01 and share <= 0.40
    print(
        f"  ASHA: best {gap * 100:+.2f} % vs none, {share * 100:.0f} % of the epochs, "
        f"{s0 / s1:.2f}x faster: {'PASS' if ok else 'FAIL'} (targets within 1 %, <= 40 %)"
    )


def ours_on_test(client: httpx.Client, model_id: str, test_id: str) -> dict:
    r = client.post(f"/v1/models/{model_id}/evaluate", json={"dataset_id": test_id})
    r.raise_for_status()
    metrics = r.json()["metrics"]
    return {"accuracy": metrics["accuracy"], "log_loss": metrics["log_loss"]}


def peer(client: httpx.Client, X, y, X_test, y_test, epochs: int = 20) -> None:
    train_id, test_id = upload(client, npz(X, y)), upload(client, npz(X_test, y_test))
    body = grid_body(train_id, epochs, None)
    body["training"]["batch_size"] = PEER_BATCH  # H2O trains row by row, we in mini-batches
    search, _, ours_s = run_search(client, body)
    ours = ours_on_test(client, search["best"]["model_id"], test_id)
    print(
        f"  ours: 9-trial grid in {ours_s:.1f} s; best {search['best']['params']}; "
        f"test accuracy {ours['accuracy']:.4f}, log loss {ours['log_loss']:.4f}"
    )
    theirs_s, theirs, hidden, rate = h2o_grid(X, y, X_test, y_test, epochs, RATES, WIDTHS)
    print(
        f"  H2O-3: 9-model grid in {theirs_s:.1f} s; best hidden {hidden}, rate {rate}; "
        f"test accuracy {theirs['accuracy']:.4f}, log loss {theirs['log_loss']:.4f}"
    )
    speed = theirs_s / ours_s
    ok = speed >= 10 and ours["log_loss"] <= theirs["log_loss"]
    print(
        f"  ours {speed:.2f}x faster to the best model; log loss {ours['log_loss']:.4f} vs "
        f"{theirs['log_loss']:.4f}: {'PASS' if ok else 'FAIL'} (target >= 10x, equal or better)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--parts", default="scaling,pruning,peer", help="comma-separated")
    parts = parser.parse_args().parts.split(",")
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, "
        f"NumPy {np.__version__}; load average {os.getloadavg()[0]:.1f}"
    )
    X, y = make_data(ROWS)
    X_test, y_test = make_data(TEST_ROWS, seed=1)
    if "scaling" in parts:
        print(f"scaling (16-trial random search, parallelism 2, 10 epochs of {ROWS} rows):")
        scaling(npz(X, y))
    with cluster(2) as client:
        if "pruning" in parts:
            print(
                "pruning (27-trial grid: 3 rates x 3 widths x 3 batch sizes, 27 epochs, "
                f"2 workers; ASHA min_epochs {ASHA['min_epochs']}, "
                f"reduction_factor {ASHA['reduction_factor']}):"
            )
            pruning(client, upload(client, npz(X, y)))
        if "peer" in parts:
            print(
                f"peer (9-trial grid of rate x width, 20 epochs, our batch {PEER_BATCH}, "
                "best by validation log loss):"
            )
            peer(client, X, y, X_test, y_test)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
