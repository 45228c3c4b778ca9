#!/usr/bin/env python3
"""Memory: a 2 GiB float32 NPZ dataset uploads and trains with peak RSS below 1.5x its size,
and evaluating a model on it grows the server's anonymous memory by a bounded amount.

Writes the NPZ to a temporary folder (streamed, never whole in this process), starts
`backprop up` (embedded worker, so upload, import and training all happen in one server
process), uploads the file over HTTP, trains one job on it, and reads the server's peak
resident set size (VmHWM) from /proc. Then it evaluates the model on the whole data set
and samples the server's anonymous resident memory (RssAnon: not the memory map's file
pages) while it runs: evaluate reads 8192 rows at a time, so its growth is bounded by the
chunk, not the data set.

    .venv/bin/python benchmarks/memory_bench.py                # 2 GiB
    .venv/bin/python benchmarks/memory_bench.py --gib 0.25     # a quick run
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FEATURES = 512


def write_npz(path: Path, rows: int) -> None:
    """np.savez-compatible archive with X (rows, FEATURES) float32 and y, block by block."""
    header = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
        "fortran_order": False,
        "shape": (rows, FEATURES),
    }
    rng = np.random.default_rng(0)
    w = rng.normal(size=FEATURES).astype(np.float32)
    labels = np.empty(rows, dtype=np.int64)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        with zf.open("X.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_2_0(member, header)
            block = 65536
            for start in range(0, rows, block):
                x = rng.normal(size=(min(block, rows - start), FEATURES)).astype(np.float32)
                labels[start : start + len(x)] = (x @ w > 0).astype(np.int64)
                member.write(x.tobytes())
        with zf.open("y.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array(member, labels)


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def rss_anon(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no RssAnon")


EVALUATE_GROWTH_LIMIT = 256 * 1024**2
"""Most anonymous memory evaluate may add, whatever the data set's size."""


def evaluate_growth(client: httpx.Client, pid: int, model_id: str, dataset_id: str) -> int:
    """POST evaluate while sampling RssAnon every 20 ms; prints the result, returns the
    largest growth over the value before the call (bytes)."""
    before = rss_anon(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_anon(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        r = client.post(f"/v1/models/{model_id}/evaluate", json={"dataset_id": dataset_id})
    finally:
        done.set()
        sampler.join()
    r.raise_for_status()
    out = r.json()
    growth = peak[0] - before
    print(
        f"evaluate: {out['rows']} rows in {time.perf_counter() - started:.0f} s, accuracy "
        f"{out['metrics']['accuracy']:.4f}, roc_auc {out['metrics']['roc_auc']:.4f}; "
        f"anonymous memory growth {growth / 1024**2:.0f} MiB   target < "
        f"{EVALUATE_GROWTH_LIMIT / 1024**2:.0f} MiB   "
        f"{'PASS' if growth < EVALUATE_GROWTH_LIMIT else 'FAIL'}"
    )
    return growth


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--gib", type=float, default=2.0, help="size of X in GiB")
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args()
    rows = int(args.gib * 1024**3) // (FEATURES * 4)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        npz = work / "big.npz"
        started = time.perf_counter()
        write_npz(npz, rows)
        size = rows * FEATURES * 4
        print(
            f"dataset: X {rows} x {FEATURES} float32 = {size / 1024**3:.2f} GiB "
            f"(written in {time.perf_counter() - started:.0f} s)"
        )
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
        env.update({"BACKPROP_DATA_DIR": str(work / "data"), "BACKPROP_LOG_LEVEL": "WARNING"})
        server = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "up", "--port", str(port)],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            key = (work / "data" / "api-key.txt").read_text().strip()
            client = httpx.Client(
                base_url=base, timeout=3600, headers={"Authorization": f"Bearer {key}"}
            )
            baseline = peak_rss(server.pid)
            started = time.perf_counter()
            with npz.open("rb") as fp:
                r = client.post("/v1/datasets", files={"file": ("big.npz", fp)})
            r.raise_for_status()
            ds = r.json()
            upload_rss = peak_rss(server.pid)
            print(
                f"upload + import: {time.perf_counter() - started:.0f} s, stored as "
                f"{ds['size_bytes'] / 1024**3:.2f} GiB file-backed data"
            )
            started = time.perf_counter()
            job = client.post(
                "/v1/jobs",
                json={
                    "dataset_id": ds["id"],
                    "network": {
                        "layers": [
                            {"type": "dense", "units": 32, "activation": "relu"},
                            {"type": "dense", "units": 2, "activation": "softmax"},
                        ]
                    },
                    "training": {
                        "epochs": args.epochs,
                        "batch_size": 1024,
                        "validation_split": 0.1,
                    },
                },
            ).json()
            while (status := client.get(f"/v1/jobs/{job['id']}").json())["status"] in (
                "queued",
                "running",
            ):
                time.sleep(1)
            print(
                f"training: {status['status']} in {time.perf_counter() - started:.0f} s, "
                f"val_accuracy {status['metrics'].get('val_accuracy')}"
            )
            peak = peak_rss(server.pid)
            ratio = peak / size
            print(
                f"server peak RSS: at start {baseline / 1024**3:.2f} GiB, after upload "
                f"{upload_rss / 1024**3:.2f} GiB, overall {peak / 1024**3:.2f} GiB"
            )
            print(
                f"peak RSS / dataset size = {ratio:.2f}   target < 1.5   "
                f"{'PASS' if ratio < 1.5 and status['status'] == 'succeeded' else 'FAIL'}"
            )
            growth = evaluate_growth(client, server.pid, status["model_id"], ds["id"])
            return 0 if ratio < 1.5 and growth < EVALUATE_GROWTH_LIMIT else 1
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
