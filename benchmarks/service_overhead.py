#!/usr/bin/env python3
"""Service overhead against a running `backprop up`, measured side by side in one run.

1. Time to a trained model: POST /v1/jobs -> succeeded, over the engine's direct fit time
   for the same data, spec and seed (target: at most 1.15x), alternating, median of N.
2. Single-row predict median latency over GET /healthz's on the same server (target 1.5x).
3. Predict throughput under 32 concurrent clients, with p50 and p99 latency.

    .venv/bin/python benchmarks/service_overhead.py            # starts its own server
    .venv/bin/python benchmarks/service_overhead.py --repeats 7 --requests 400
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.engine import FitData, fit  # noqa: E402
from service.jobs.plan import DatasetSummary, plan_job  # noqa: E402
from service.jobs.prepare import prepare  # noqa: E402

NETWORK = {
    "layers": [
        {"type": "dense", "units": 128, "activation": "relu"},
        {"type": "dense", "units": 64, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
}


def make_data(rows: int, features: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, features)).astype(np.float32)
    y = (X @ rng.normal(size=(features, 3))).argmax(axis=1).astype(np.int64)
    return X, y


def start_server(
    workdir: Path, database_url: str | None = None, broker_url: str | None = None
) -> tuple[list[subprocess.Popen], str, str]:
    """`backprop up` (embedded), or with a broker `backprop api` plus one `backprop worker`."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update(
        {
            "BACKPROP_DATA_DIR": str(workdir),
            "BACKPROP_LOG_LEVEL": "WARNING",
            "BACKPROP_RATE_LIMIT_PER_MINUTE": "0",
        }
    )
    if database_url:
        env["BACKPROP_DATABASE_URL"] = database_url
    cli = [sys.executable, "-m", "service.cli"]
    quiet = {
        "cwd": ROOT,
        "env": env,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "start_new_session": True,
    }
    if broker_url:
        env["BACKPROP_BROKER_URL"] = broker_url
        subprocess.run([*cli, "migrate"], check=True, cwd=ROOT, env=env, capture_output=True)
        out = subprocess.run(
            [*cli, "keys", "create", "--tenant", "bench"],
            check=True,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        ).stdout
        (workdir / "api-key.txt").write_text(out.strip().splitlines()[-1])
        procs = [
            subprocess.Popen([*cli, "api", "--port", str(port)], **quiet),
            subprocess.Popen([*cli, "worker"], **quiet),
        ]
    else:
        procs = [subprocess.Popen([*cli, "up", "--port", str(port)], **quiet)]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                key = (workdir / "api-key.txt").read_text().strip()
                return procs, base, key
        except (httpx.HTTPError, FileNotFoundError):
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


def direct_fit_seconds(
    X: np.ndarray, y: np.ndarray, training: dict, blas_threads: int | None = None
) -> float:
    """The engine alone: the runner's preparation, build and fit, no HTTP and no database.

    blas_threads: None leaves NumPy's default BLAS thread count."""
    from threadpoolctl import threadpool_limits

    if blas_threads is not None:
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            return direct_fit_seconds(X, y, training)
    started = time.perf_counter()
    classes = sorted({int(v) for v in y})
    dataset = DatasetSummary("classification", tuple(X.shape[1:]), classes, len(X))
    plan = plan_job({"network": NETWORK, "training": training}, dataset)
    data = prepare(X, y, plan.data)
    net = plan.build_network()
    data = FitData(data.X_train, data.y_train, X_val=data.X_val, y_val=data.y_val)
    fit(net, data, plan.fit_options)
    return time.perf_counter() - started


def service_fit_seconds(client: httpx.Client, dataset_id: str, training: dict) -> float:
    started = time.perf_counter()
    r = client.post(
        "/v1/jobs", json={"dataset_id": dataset_id, "network": NETWORK, "training": training}
    )
    r.raise_for_status()
    job_id = r.json()["id"]
    while True:
        status = client.get(f"/v1/jobs/{job_id}").json()["status"]
        if status == "succeeded":
            return time.perf_counter() - started
        if status in ("failed", "cancelled"):
            raise SystemExit(f"job {job_id} ended {status}")
        time.sleep(0.1)


def latency_ms(client: httpx.Client, method: str, path: str, body: dict | None) -> float:
    started = time.perf_counter()
    r = client.request(method, path, json=body)
    elapsed = (time.perf_counter() - started) * 1000
    assert r.status_code == 200, r.text
    return elapsed


def throughput(base: str, key: str, model_id: str, row: list, clients: int, per_client: int):
    latencies: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as c:
            mine = [
                latency_ms(c, "POST", f"/v1/models/{model_id}/predict", {"instances": [row]})
                for _ in range(per_client)
            ]
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return len(latencies) / wall, np.percentile(latencies, 50), np.percentile(latencies, 99)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--requests", type=int, default=300, help="per latency series")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--database-url", help="PostgreSQL URL (with --broker-url: production mode)")
    p.add_argument("--broker-url", help="redis://... : run `backprop api` + `backprop worker`")
    args = p.parse_args()
    X, y = make_data(args.rows, 32)
    training = {
        "optimizer": {"type": "adam", "learning_rate": 0.001},
        "epochs": args.epochs,
        "batch_size": 64,
        "validation_split": 0.2,
        "seed": 0,
    }
    with tempfile.TemporaryDirectory() as tmp:
        procs, base, key = start_server(Path(tmp), args.database_url, args.broker_url)
        mode = "api + Celery worker" if args.broker_url else "embedded (backprop up)"
        print(f"service: {mode}")
        try:
            client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120
            )
            buf = io.BytesIO()
            np.savez(buf, X=X, y=y)
            ds = client.post("/v1/datasets", files={"file": ("d.npz", buf.getvalue())}).json()
            service_fit_seconds(client, ds["id"], training)  # warm up both paths
            direct_fit_seconds(X, y, training)
            direct, direct1, served = [], [], []
            for _ in range(args.repeats):  # alternate the contenders
                direct.append(direct_fit_seconds(X, y, training))
                direct1.append(direct_fit_seconds(X, y, training, blas_threads=1))
                served.append(service_fit_seconds(client, ds["id"], training))
            d_default, d_one = statistics.median(direct), statistics.median(direct1)
            d, s = min(d_default, d_one), statistics.median(served)
            ratio = s / d
            print(
                f"time to a trained model ({args.rows} rows, {args.epochs} epochs, "
                f"median of {args.repeats})"
            )
            print(f"  engine direct fit     {d_default:8.3f} s  (NumPy's default BLAS threads)")
            print(f"  engine direct fit     {d_one:8.3f} s  (1 BLAS thread, as the service)")
            print(f"  POST -> succeeded     {s:8.3f} s")
            print(
                f"  ratio to the faster   {ratio:8.3f}x   target <= 1.15x  "
                f"{'PASS' if ratio <= 1.15 else 'FAIL'}"
            )

            jobs = client.get("/v1/jobs", params={"status": "succeeded", "limit": 1}).json()
            model_id = jobs["items"][0]["model_id"]
            row = X[0].tolist()
            body = {"instances": [row]}
            latency_ms(client, "POST", f"/v1/models/{model_id}/predict", body)  # cache it
            health, predict = [], []
            for _ in range(args.requests):
                health.append(latency_ms(client, "GET", "/healthz", None))
                predict.append(latency_ms(client, "POST", f"/v1/models/{model_id}/predict", body))
            h, q = statistics.median(health), statistics.median(predict)
            print(f"single-row predict latency (median of {args.requests}, one client)")
            print(f"  GET /healthz          {h:8.3f} ms")
            print(f"  POST predict          {q:8.3f} ms")
            print(
                f"  ratio                 {q / h:8.3f}x   target <= 1.5x   "
                f"{'PASS' if q / h <= 1.5 else 'FAIL'}"
            )
            per_client = max(1, args.requests // 10)
            rps, p50, p99 = throughput(base, key, model_id, row, args.clients, per_client)
            print(
                f"predict under {args.clients} concurrent clients "
                f"({args.clients * per_client} requests)"
            )
            print(f"  throughput            {rps:8.1f} req/s   p50 {p50:.2f} ms   p99 {p99:.2f} ms")
            return 0
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
