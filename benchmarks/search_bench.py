#!/usr/bin/env python3
"""Hyperparameter search benchmarks on Celery workers (PostgreSQL + Redis), in one run.

1. Scaling: one 16-trial random search with 1 and with 2 `backprop worker` processes:
   trials per minute and their ratio (target >= 1.8x).
2. Pruning: a 27-trial grid with ASHA against no pruning: best objective within 1 % using at
   most 40 % of the epochs.
3. The peer: H2O-3's grid search of H2ODeepLearning on the same data and the same grid of
   learning rate and hidden width: time to the best model and its metrics on a held-out test
   set (target: >= 10x faster, equal or better).

    .venv/bin/pip install -e '.[bench]'   # h2o (ships its jar; needs Java 17)
    .venv/bin/python benchmarks/search_bench.py [--parts scaling,pruning,peer]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/11")
RATES = [1e-3, 3e-3, 1e-2]
WIDTHS = [16, 64, 128]


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


def network(width: int = 64) -> dict:
    return {
        "layers": [
            {"type": "dense", "units": width, "activation": "relu"},
            {"type": "dense", "units": 3, "activation": "softmax"},
        ]
    }


@contextmanager
def cluster(workers: int):
    """`backprop api` + `workers` x `backprop worker --concurrency 1` on a fresh database."""
    import psycopg
    import redis

    name = f"bp_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(REDIS).flushdb()
    work = Path(tempfile.mkdtemp(prefix="search-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update(
        BACKPROP_DATA_DIR=str(work),
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
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen([*cli, "api", "--port", str(port)], **quiet)]
    procs += [
        subprocess.Popen([*cli, "worker", "--concurrency", "1"], **quiet) for _ in range(workers)
    ]
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {key.split()[-1]}"}, timeout=60
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
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
    """POST the search, wait for its end: (search, trials, seconds from POST to end)."""
    started = time.perf_counter()
    r = client.post("/v1/searches", json=body)
    assert r.status_code == 202, r.text
    search_id = r.json()["id"]
    while (search := client.get(f"/v1/searches/{search_id}").json())["status"] not in (
        "succeeded",
        "failed",
        "cancelled",
    ):
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    assert search["status"] == "succeeded", search
    return search, client.get(f"/v1/searches/{search_id}/trials").json()["trials"], seconds


def scaling_body(dataset_id: str) -> dict:
    return {
        "dataset_id": dataset_id,
        "network": network(),
        "training": {"epochs": 10, "batch_size": 32, "validation_split": 0.2, "seed": 1},
        "space": {
            "training.optimizer.learning_rate": {"loguniform": [1e-4, 3e-2]},
            "network.layers[0].units": {"choice": WIDTHS},
        },
        "strategy": {"type": "random", "max_trials": 16, "parallelism": 2, "seed": 5},
    }


def grid_body(dataset_id: str, epochs: int, batch_sizes: list[int] | None) -> dict:
    space = {
        "training.optimizer.learning_rate": {"choice": RATES},
        "network.layers[0].units": {"choice": WIDTHS},
    }
    if batch_sizes:
        space["training.batch_size"] = {"choice": batch_sizes}
    trials = 9 * (len(batch_sizes) if batch_sizes else 1)
    return {
        "dataset_id": dataset_id,
        "network": network(),
        "training": {"epochs": epochs, "batch_size": 32, "validation_split": 0.2, "seed": 1},
        "space": space,
        "strategy": {"type": "grid", "max_trials": trials, "parallelism": 2},
    }


def scaling(data: bytes) -> dict[int, float]:
    rates = {}
    for workers in (1, 2):
        with cluster(workers) as client:
            _, trials, seconds = run_search(client, scaling_body(upload(client, data)))
            rates[workers] = len(trials) / seconds * 60
            print(
                f"  {workers} worker(s): 16 trials in {seconds:.1f} s = "
                f"{rates[workers]:.1f} trials/min"
            )
    ratio = rates[2] / rates[1]
    print(
        f"  ratio 2 workers / 1 worker: {ratio:.2f}x (target >= 1.8x): "
        f"{'PASS' if ratio >= 1.8 else 'FAIL'}"
    )
    return rates


def pruning(client: httpx.Client, dataset_id: str, epochs: int = 27) -> None:
    results = {}
    for name, prune in (
        ("none", None),
        ("asha", {"type": "asha", "min_epochs": 3, "reduction_factor": 3}),
    ):
        body = {**grid_body(dataset_id, epochs, [16, 32, 64]), "pruning": prune}
        search, trials, seconds = run_search(client, body)
        used = sum(t["epochs_run"] for t in trials)
        results[name] = (search["best"]["value"], used, seconds)
        pruned = sum(t["status"] == "pruned" for t in trials)
        print(
            f"  {name:5s}: best val_loss {search['best']['value']:.4f}, "
            f"epochs {used} of {27 * epochs}, "
            f"{pruned} pruned, {seconds:.1f} s"
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


def h2o_grid(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, epochs: int):
    """H2O's grid search over the same rates and widths: (seconds, best's test metrics)."""
    import h2o
    from h2o.estimators import H2ODeepLearningEstimator
    from h2o.grid import H2OGridSearch

    h2o.init(nthreads=2, max_mem_size="1G", verbose=False)
    h2o.no_progress()
    cols = [f"x{i}" for i in range(X.shape[1])]

    def frame(X_, y_):
        f = h2o.H2OFrame(np.column_stack([X_, y_]).tolist(), column_names=[*cols, "y"])
        f["y"] = f["y"].asfactor()
        return f

    full, test = frame(X, y), frame(X_test, y_test)
    train, valid = full.split_frame(ratios=[0.8], seed=1)
    started = time.perf_counter()
    grid = H2OGridSearch(
        H2ODeepLearningEstimator(
            epochs=epochs,
            activation="Rectifier",
            adaptive_rate=False,
            seed=1,
            mini_batch_size=1,
            stopping_rounds=0,
        ),
        hyper_params={"rate": RATES, "hidden": [[w] for w in WIDTHS]},
    )
    grid.train(x=cols, y="y", training_frame=train, validation_frame=valid)
    best = grid.get_grid(sort_by="logloss", decreasing=False).models[0]
    seconds = time.perf_counter() - started
    perf = best.model_performance(test)
    predicted = best.predict(test)["predict"].as_data_frame(use_pandas=False)[1:]
    accuracy = float(np.mean(np.array([int(r[0]) for r in predicted]) == y_test))
    metrics = {"accuracy": accuracy, "log_loss": perf.logloss()}
    h2o.cluster().shutdown()
    return seconds, metrics, best.actual_params["hidden"], best.actual_params["rate"]


def peer(client: httpx.Client, X, y, X_test, y_test, epochs: int = 20) -> None:
    train_id, test_id = upload(client, npz(X, y)), upload(client, npz(X_test, y_test))
    search, _, ours_s = run_search(client, grid_body(train_id, epochs, None))
    ours = ours_on_test(client, search["best"]["model_id"], test_id)
    print(
        f"  ours: 9-trial grid in {ours_s:.1f} s; best {search['best']['params']}; "
        f"test accuracy {ours['accuracy']:.4f}, log loss {ours['log_loss']:.4f}"
    )
    theirs_s, theirs, hidden, rate = h2o_grid(X, y, X_test, y_test, epochs)
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", default="scaling,pruning,peer", help="comma-separated")
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, "
        f"NumPy {np.__version__}; load average {os.getloadavg()[0]:.1f}"
    )
    X, y = make_data(3000)
    X_test, y_test = make_data(1000, seed=1)
    parts = args.parts.split(",")
    if "scaling" in parts:
        print("scaling (16-trial random search, parallelism 2, 10 epochs of 2400 rows):")
        scaling(npz(X, y))
    with cluster(2) as client:
        if "pruning" in parts:
            print(
                "pruning (27-trial grid: 3 rates x 3 widths x 3 batch sizes, 27 epochs, 2 workers):"
            )
            pruning(client, upload(client, npz(X, y)))
        if "peer" in parts:
            print("peer (9-trial grid of rate x width, 20 epochs, best by validation log loss):")
            peer(client, X, y, X_test, y_test)


if __name__ == "__main__":
    main()
