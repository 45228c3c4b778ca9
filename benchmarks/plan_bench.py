#!/usr/bin/env python3
"""Validating a spec near the parameter limit: building it (allocates) versus planning it.

Before issue 10, POST /v1/jobs checked a spec by building the whole network
(``build_network``, what jobs/validate.py ran), allocating and initialising every weight;
``plan_network`` answers the same shapes, counts and errors without allocating. Each
variant runs in its own fresh Python process (so its peak RSS is its own), alternating,
``--runs`` times; the table shows medians.

    .venv/bin/python benchmarks/plan_bench.py            # 3 runs per variant
    .venv/bin/python benchmarks/plan_bench.py --runs 5

Peak memory is reported twice: the growth of the process's peak RSS (``ru_maxrss``) over
its size after imports, and tracemalloc's peak during one more validation (NumPy reports
its array buffers to tracemalloc); times are measured without tracemalloc.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INPUT_SHAPE = [1024]
SPEC = [
    {"type": "dense", "units": 4096, "activation": "relu"},
    {"type": "dense", "units": 4096, "activation": "relu"},
    {"type": "dense", "units": 4096, "activation": "relu"},
    {"type": "dense", "units": 2900, "activation": "relu"},
    {"type": "dense", "units": 10, "activation": "softmax"},
]
PLAN_CALLS = 1000
"""plan_network takes microseconds: one process times this many calls and reports the mean."""


def measure(variant: str) -> dict[str, float]:
    """Run one variant in this process: seconds per validation and peak RSS growth (timed
    untraced), then tracemalloc's peak over one more validation, in bytes."""
    import resource

    from service.engine import build_network, plan_network

    def validate() -> int:
        if variant == "build":
            return build_network(SPEC, INPUT_SHAPE, seed=0).num_params
        return plan_network(SPEC, INPUT_SHAPE).n_params

    calls = 1 if variant == "build" else PLAN_CALLS
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    start = time.perf_counter()
    for _ in range(calls):
        n_params = validate()
    seconds = (time.perf_counter() - start) / calls
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    validate()
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "seconds": seconds,
        "rss_growth": rss_after - rss_before,
        "traced_peak": traced_peak,
        "n_params": n_params,
    }


def run_child(variant: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, __file__, "--child", variant],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout)


def header() -> str:
    import numpy as np

    from service.config import Settings

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    limit = Settings.model_fields["max_params"].default
    return (
        f"CPU: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}\n"
        f"spec: dense {INPUT_SHAPE[0]}-" + "-".join(str(s["units"]) for s in SPEC) + ", "
        f"float32; default max_params {limit:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="processes per variant")
    parser.add_argument("--child", choices=("build", "plan"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    sys.path.insert(0, str(ROOT))
    print(header())
    results: dict[str, list[dict[str, float]]] = {"build": [], "plan": []}
    for _ in range(args.runs):
        for variant in results:
            results[variant].append(run_child(variant))
    med = {
        v: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        for v, runs in results.items()
    }
    assert med["build"]["n_params"] == med["plan"]["n_params"]
    print(f"parameters: {int(med['plan']['n_params']):,}; median of {args.runs} processes each")
    print(f"{'':28}{'time':>12}{'peak RSS growth':>18}{'tracemalloc peak':>18}")
    names = {"build": "build_network (before)", "plan": "plan_network (after)"}
    for v, m in med.items():
        print(
            f"{names[v]:28}{m['seconds'] * 1e3:>9.3f} ms"
            f"{m['rss_growth'] / 2**20:>14.1f} MiB{m['traced_peak'] / 2**20:>14.3f} MiB"
        )
    b, p = med["build"], med["plan"]
    print(
        f"{'before / after':28}{b['seconds'] / p['seconds']:>10.0f}x"
        f"{'':>18}{b['traced_peak'] / max(p['traced_peak'], 1):>16.0f}x"
    )


if __name__ == "__main__":
    main()
