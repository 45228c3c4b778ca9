"""The README's CLI walkthrough, run as written by bash against a real `backprop up`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from processes import ProcessGroup
from readme_blocks import block, up_in_repository_root

pytestmark = pytest.mark.e2e


def test_readme_cli_walkthrough(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    group = ProcessGroup(env={**env, "PYTHONUNBUFFERED": "1"}, logs=tmp_path)
    try:
        # `up` keeps its key in ./.backprop of the directory the newcomer works in.
        root, port = up_in_repository_root(group, tmp_path)
        # as pasted into a new terminal: no venv active, `backprop` is not on the PATH
        env.pop("VIRTUAL_ENV", None)
        path = [p for p in env["PATH"].split(":") if not (Path(p) / "backprop").exists()]
        env["PATH"] = ":".join(path)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block("Walkthrough with the CLI")],
            cwd=root,
            env={**env, "BACKPROP_URL": f"http://127.0.0.1:{port}"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr + group.dump()
    finally:
        group.stop()
    out = done.stdout
    assert "barbera, barolo, grignolino" in out  # datasets show
    assert "succeeded" in out and "dropout" in out  # jobs list, models show
    assert "p(barolo)" in out  # the CSV predictions table
    prediction = json.loads(out[out.rindex('{\n  "predictions"') :])
    assert prediction["predictions"] == ["barolo"] and len(prediction["probabilities"][0]) == 3
    assert "val" in done.stderr and "ETA" in done.stderr  # the progress bar
