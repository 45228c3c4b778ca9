"""What the benchmarks print about NumPy's BLAS: the OpenBLAS kernel that runs, and a
warning when the environment pins a slower one (some shared machines set
OPENBLAS_CORETYPE=Haswell on AVX-512 cores; rerun under ``env -u``)."""

from __future__ import annotations

import os

PINNING_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def numpy_blas() -> str:
    """e.g. "openblas 0.3.31.188.0 (SkylakeX kernel)" (threadpoolctl's report)."""
    from threadpoolctl import threadpool_info

    found = [
        f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')} kernel)"
        for i in threadpool_info()
        if i["user_api"] == "blas" and "numpy" in i["filepath"]
    ]
    return ", ".join(found) or "unknown"


def pinning_warnings() -> list[str]:
    """One line per variable of PINNING_VARS set in this environment."""
    return [
        f"WARNING: {var}={os.environ[var]} is set; rerun with env -u {var}"
        for var in PINNING_VARS
        if var in os.environ
    ]
