#!/usr/bin/env python3
"""Serving at the speed of the wire (issue 14), measured in one run on this machine.

Starts `backprop up` (embedded default), trains a 784-256-128-10 MLP on synthetic data and
prints, with PASS/FAIL against the targets (medians of repetitions, contenders alternated):
1. one-row predict p50 over /healthz p50 on the same server (<= 1.3x);
2. a 1000-row JSON predict in rows/s (>= 12,000) and a 10,000-row .npy predict (>= 200,000);
3. under load (wrk from Debian's package, 16 connections): predict and /healthz req/s
   against a bare FastAPI app on the same uvicorn settings (>= 0.6x and >= 0.8x), predict
   p99 (<= 20 ms), zero errors; and what each per-request layer costs, in process
   (serving_inprocess.py, with the predict fast path on and off among the toggles);
4. `backprop api --workers 2` over `--workers 1`, predict req/s (>= 1.7x).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/serving_bench.py
    ... --reps 5 --seconds 5       # about 3 minutes with the defaults (3 reps of 5 s)

The servers inherit the environment: where it pins OpenBLAS to an older kernel (see
blas_info.py), the service's forward passes run on that kernel, so unset it as above.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from blas_info import numpy_blas, pinning_warnings  # noqa: E402
from serving_inprocess import answer_micros, layer_costs, stored_model  # noqa: E402
from serving_parts import RAW_APP, start_bare, start_service, wrk  # noqa: E402

NETWORK = {
    "layers": [
        {"type": "dense", "units": 256, "activation": "relu"},
        {"type": "dense", "units": 128, "activation": "relu"},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ]
}
RESULTS: list[tuple[str, bool, str]] = []


def target(name: str, ok: bool, detail: str) -> None:
    RESULTS.append((name, ok, detail))
    print(f"  {name}: {'PASS' if ok else 'FAIL'} ({detail})", flush=True)


def machine() -> None:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if "model name" in ln), "?"
    )
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[
        0
    ]
    import fastapi
    import uvicorn

    print(f"CPU: {cpu}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, fastapi "
        f"{fastapi.__version__}, uvicorn {uvicorn.__version__}; {wrk_version.strip()}"
    )
    print(f"NumPy BLAS (the service's, for the forward passes): {numpy_blas()}")
    for line in pinning_warnings():
        print(line)


def train(client: httpx.Client) -> tuple[str, np.ndarray]:
    """Upload 4000 synthetic 784-feature rows (10 classes), train the MLP; model id, rows."""
    rng = np.random.default_rng(0)
    X = rng.random((4000, 784), dtype=np.float32)
    y = np.arange(len(X)) % 10  # every class present; the labels need not be learnable
    buf = io.BytesIO()
    np.savez(buf, X=X, y=y)
    ds = client.post("/v1/datasets", files={"file": ("d.npz", buf.getvalue())})
    ds.raise_for_status()
    training = {"loss": "cross_entropy", "epochs": 2, "batch_size": 128, "seed": 0}
    job = client.post(
        "/v1/jobs", json={"dataset_id": ds.json()["id"], "network": NETWORK, "training": training}
    )
    assert job.status_code == 202, job.text
    while (state := client.get(f"/v1/jobs/{job.json()['id']}").json())["status"] in (
        "queued",
        "running",
    ):
        time.sleep(0.5)
    assert state["status"] == "succeeded", state
    return state["model_id"], X


def p50_ms(client: httpx.Client, method: str, url: str, n: int, **kw: object) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        r = client.request(method, url, **kw)
        times.append(time.perf_counter() - started)
        assert r.status_code == 200, r.text
    return statistics.median(times) * 1e3


def logged_p50_us(log: Path, since: int, path: str) -> float:
    """The p50 of the `ms` the service's access lines give `path` after byte `since` of
    `log`: a request's time inside the app, from the first middleware to the last byte."""
    ms = []
    with log.open("rb") as f:
        f.seek(since)
        for raw in f:  # the other servers' output may share the file
            try:
                line = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if isinstance(line, dict) and line.get("path") == path and "ms" in line:
                ms.append(line["ms"])
    return statistics.median(ms) * 1e3 if ms else float("nan")


def latency(
    client: httpx.Client,
    raw_url: str,
    predict: str,
    row: bytes,
    reps: int,
    work_us: float,
    log: Path,
) -> None:
    """The p50 ratio; its floor from the raw ASGI app at raw_url and the predict's own work,
    and the predict's time inside the app from the access lines in `log`."""
    print("== one-row predict vs /healthz, same server, keep-alive (p50 of 300, median of reps)")
    headers = {"content-type": "application/json"}
    pairs, floors = [], []
    with httpx.Client(base_url=raw_url) as raw:
        for _ in range(reps):
            health = p50_ms(client, "GET", "/healthz", 300)
            mark = log.stat().st_size
            pred = p50_ms(client, "POST", predict, 300, content=row, headers=headers)
            pairs.append((health, pred, pred / health))
            print(
                f"  /healthz {health:.3f} ms, predict {pred:.3f} ms, ratio {pred / health:.2f}x"
                f" (inside the app {logged_p50_us(log, mark, predict):.0f} us)"
            )
            get = p50_ms(raw, "GET", "/", 300)
            post = p50_ms(raw, "POST", "/", 300, content=row, headers=headers)
            floors.append(post / get)
    ratio, floor = statistics.median(p[2] for p in pairs), statistics.median(floors)
    health = statistics.median(p[0] for p in pairs)
    print(
        f"  floor: a raw ASGI app (uvicorn, same settings) answers a POST of this body in "
        f"{floor:.2f}x its GET;\n  the predict's own work (parse, forward, encode; no HTTP) "
        f"takes {work_us:.0f} us, so predict >= {floor + work_us / 1e3 / health:.2f}x /healthz"
    )
    target("predict p50 <= 1.3x /healthz", ratio <= 1.3, f"{ratio:.2f}x")


def batches(client: httpx.Client, raw_url: str, predict: str, X: np.ndarray, reps: int) -> None:
    """Rows/s of the two batch bodies, and the raw ASGI app's time to take the same body."""
    print("== batches (client sends pre-encoded bytes; time to the answer parsed by orjson, as")
    print("   service.client does; the standard library's json takes ~28 ms of a 10000-row one)")
    json_body = json.dumps({"instances": X[:1000].tolist()}).encode()
    rows = np.concatenate([X] * 3)[:10000]
    buf = io.BytesIO()
    np.save(buf, rows)
    cases = [
        ("1000-row JSON", json_body, "application/json", 1000, 12_000),
        ("10000-row .npy", buf.getvalue(), "application/x-npy", 10000, 200_000),
    ]
    for name, body, media, n, goal in cases:
        times, floor = [], []
        with httpx.Client(base_url=raw_url, timeout=300) as raw:
            for _ in range(max(reps, 5)):
                started = time.perf_counter()
                r = client.post(predict, content=body, headers={"content-type": media})
                ok = r.status_code == 200 and len(orjson.loads(r.content)["predictions"]) == n
                assert ok, r.text[:300]
                times.append(time.perf_counter() - started)
                started = time.perf_counter()
                raw.post("/", content=body, headers={"content-type": media}).raise_for_status()
                floor.append(time.perf_counter() - started)
        rate, took = n / statistics.median(times), statistics.median(floor)
        print(
            f"  {name}: {len(body) / 1e6:.1f} MB, median {statistics.median(times) * 1e3:.0f} ms"
            f" (floor: the raw ASGI app takes the body in {took * 1e3:.0f} ms, "
            f"<= {n / took:,.0f} rows/s)"
        )
        target(f"{name} >= {goal:,} rows/s", rate >= goal, f"{rate:,.0f} rows/s")


def batch_breakdown(data_dir: Path, model_id: str, X: np.ndarray) -> None:
    """Where a batch's time goes inside the server, in process: parse, forward, encode."""
    from service.serving.forward import THREADS
    from service.serving.predict import predict_arrays
    from service.serving.predict_http import JSON, NPY, encode, read_features

    model = stored_model(data_dir, model_id)
    print("== batch breakdown in process (median of 5, ms): parse, forward, encode")
    rows = np.concatenate([X] * 3)[:10000]
    buf = io.BytesIO()
    np.save(buf, rows)
    cases = [
        ("1000-row JSON", json.dumps({"instances": X[:1000].tolist()}).encode(), JSON),
        ("10000-row .npy", buf.getvalue(), NPY),
    ]
    for name, body, kind in cases:
        parts: list[tuple[float, float, float]] = []
        for _ in range(5):
            t0 = time.perf_counter()
            feats, warnings = read_features(model, body, kind, 1 << 30)
            t1 = time.perf_counter()
            result = predict_arrays(model, feats, warnings, threads=THREADS)  # as the server
            t2 = time.perf_counter()
            encode(result)
            parts.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
        parse, forward, out = (statistics.median(p[i] for p in parts) * 1e3 for i in range(3))
        print(f"  {name}: parse {parse:.0f}, forward {forward:.0f}, encode {out:.1f}")


def under_load(service: str, bare: str, predict: str, row: bytes, key: str, args) -> None:
    print(f"== under load: wrk, 16 connections, {args.seconds} s each, alternated, median of reps")
    post = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    runs: dict[str, list] = {"bare": [], "healthz": [], "predict": []}
    for _ in range(args.reps):
        runs["bare"].append(wrk(f"{bare}/healthz", args.seconds))
        runs["healthz"].append(wrk(f"{service}/healthz", args.seconds))
        runs["predict"].append(wrk(f"{service}{predict}", args.seconds, body=row, headers=post))
        print(
            "  "
            + ", ".join(
                f"{k} {v[-1].rps:,.0f} req/s (p99 {v[-1].p99_ms:.1f} ms)" for k, v in runs.items()
            )
        )
    rps = {k: statistics.median(r.rps for r in v) for k, v in runs.items()}
    p99 = statistics.median(r.p99_ms for r in runs["predict"])
    ceiling = 1 / (1 + args.work_us * 1e-6 * rps["bare"])
    print(
        f"  ceiling: a bare route's {1e6 / rps['bare']:.0f} us per request plus the predict's "
        f"own {args.work_us:.0f} us (every other layer free) gives predict <= {ceiling:.2f}x"
    )
    errors = sum(r.errors for v in runs.values() for r in v)
    target(
        "predict >= 0.6x bare FastAPI",
        rps["predict"] >= 0.6 * rps["bare"],
        f"{rps['predict']:,.0f} vs {rps['bare']:,.0f} req/s = {rps['predict'] / rps['bare']:.2f}x",
    )
    target(
        "/healthz >= 0.8x bare FastAPI",
        rps["healthz"] >= 0.8 * rps["bare"],
        f"{rps['healthz']:,.0f} req/s = {rps['healthz'] / rps['bare']:.2f}x",
    )
    target("predict p99 <= 20 ms", p99 <= 20, f"{p99:.1f} ms")
    target("zero errors under load", errors == 0, f"{errors} errors or non-2xx")


def workers(data_dir: Path, predict: str, row: bytes, key: str, args, log: Path) -> None:
    print("== backprop api --workers 2 vs --workers 1 (predict req/s with wrk, alternated)")
    env = {"BACKPROP_BROKER_URL": args.broker, "BACKPROP_RATE_LIMIT_SHARED": "false"}
    post = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    runs: dict[int, list] = {1: [], 2: []}
    for _ in range(args.reps):
        for n in (1, 2):
            server = start_service(data_dir, ["api", "--workers", str(n)], log, **env)
            try:
                # every process loads the model before timing: a 1 s wrk run spreads its 16
                # connections over the processes (a few requests could all reach one)
                httpx.post(f"{server.url}{predict}", content=row, headers=post, timeout=60)
                wrk(f"{server.url}{predict}", 1, body=row, headers=post)
                runs[n].append(wrk(f"{server.url}{predict}", args.seconds, body=row, headers=post))
            finally:
                server.stop()
        print(
            "  "
            + ", ".join(
                f"{n} process{'es' if n > 1 else ''} {r[-1].rps:,.0f} req/s (machine "
                f"{r[-1].busy_cores:.2f} cores busy, wrk {r[-1].wrk_cores:.2f})"
                for n, r in runs.items()
            )
        )
    rps = {n: statistics.median(r.rps for r in v) for n, v in runs.items()}
    ratio = rps[2] / rps[1]
    one, two = (min(v, key=lambda r: abs(r.rps - rps[n])) for n, v in runs.items())
    ceiling = ((os.cpu_count() or 1) - two.wrk_cores) / one.server_cpu_us * 1e6 / rps[1]
    print(
        f"  CPU per request outside wrk: {one.server_cpu_us:.0f} us with 1 process, "
        f"{two.server_cpu_us:.0f} us with 2;\n  the cores wrk leaves, at 1 process's CPU "
        f"per request, would give 2 processes <= {ceiling:.2f}x"
    )
    target("2 processes >= 1.7x 1 process", ratio >= 1.7, f"{ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--broker",
        default="redis://127.0.0.1:6379/14",
        help="Redis URL `backprop api` needs (it stays idle here)",
    )
    args = parser.parse_args()
    machine()
    work = Path(tempfile.mkdtemp(prefix="serving-bench-"))
    log = work / "servers.log"
    service = start_service(work, ["up"], log)
    bare = start_bare(log)
    raw = start_bare(log, RAW_APP)
    key = (work / "api-key.txt").read_text().strip()
    try:
        with httpx.Client(
            base_url=service.url, headers={"Authorization": f"Bearer {key}"}, timeout=300
        ) as client:
            model, X = train(client)
            predict = f"/v1/models/{model}/predict"
            row = json.dumps({"instances": X[:1].tolist()}).encode()
            args.work_us = answer_micros(work, model, row)
            latency(client, raw.url, predict, row, args.reps, args.work_us, log)
            batches(client, raw.url, predict, X, args.reps)
            batch_breakdown(work, model, X)
        under_load(service.url, bare.url, predict, row, key, args)
        layer_costs(work, predict, row, key)
    finally:
        service.stop()
        bare.stop()
        raw.stop()
    workers(work, predict, row, key, args, log)
    failed = [name for name, ok, _ in RESULTS if not ok]
    print(
        f"== {len(RESULTS) - len(failed)} of {len(RESULTS)} targets PASS"
        + (f"; FAIL: {', '.join(failed)}" if failed else "")
    )


if __name__ == "__main__":
    main()
