#!/usr/bin/env python3
"""Bootstrap and run: `python3 scripts/dev.py up` (the service) or `... test` (the tests).

Creates .venv beside pyproject.toml on first use and reinstalls only when pyproject.toml
changes. Needs nothing but Python 3.11+ and access to the package registry.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("BACKPROP_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
TORCH = "2.13.0"


def ensure_env(extras: str) -> None:
    """Create the venv and install the project with `extras` unless already current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before the venv exists
        sys.exit(f"Python 3.11+ is required, this is {sys.version.split()[0]}")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extras or 'base'}-{digest}"
    if stamp.exists():
        return
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    target = f".[{extras}]" if extras else "."
    print(
        f"installing backprop-service{f'[{extras}]' if extras else ''} (first run only)", flush=True
    )
    subprocess.run(
        [str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", target],
        cwd=ROOT,
        check=True,
    )
    for old in VENV.glob(f".installed-{extras or 'base'}-*"):
        old.unlink()
    stamp.touch()


def ensure_torch() -> None:
    """Install the pinned CPU torch into the dev venv for the PyTorch reference tests."""
    stamp = VENV / f".installed-torch-{TORCH}"
    if stamp.exists():
        return
    print(f"installing torch=={TORCH} for the PyTorch reference tests", flush=True)
    subprocess.run(
        [str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"torch=={TORCH}"],
        cwd=ROOT,
        check=True,
    )
    stamp.touch()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "test", "torch", "backprop"}:
        print(__doc__)
        print(
            "usage: dev.py up [--host H --port P] | dev.py test [pytest args] | dev.py torch"
            " | dev.py backprop ..."
        )
        return 2
    command, rest = argv[0], argv[1:]
    if command == "torch":  # CI: the PyTorch reference tests then run instead of skipping
        ensure_env("dev")
        ensure_torch()
        return 0
    if command == "test":
        ensure_env("dev")
        return run_until_done([str(PY), "-m", "pytest", *rest])
    ensure_env("")
    args = ["up", *rest] if command == "up" else rest
    return run_until_done([str(BIN / "backprop"), *args])


def run_until_done(args: list[str]) -> int:
    """Run a command; Ctrl+C reaches it too (same process group), so wait for it to shut
    down cleanly instead of printing this script's own traceback."""
    child = subprocess.Popen(args, cwd=ROOT)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
