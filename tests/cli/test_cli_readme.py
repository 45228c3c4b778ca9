"""The README's CLI walkthrough, run as written by bash against a real `backprop up`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from processes import ROOT, ProcessGroup, wait_healthy
from support import free_port

pytestmark = pytest.mark.e2e


def cli_walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Walkthrough with the CLI", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def test_readme_cli_walkthrough(tmp_path: Path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    # `up` keeps its key in ./.backprop of the directory the newcomer works in.
    server_env = {**env, "BACKPROP_DATA_DIR": str(tmp_path / ".backprop"), "PYTHONUNBUFFERED": "1"}
    group = ProcessGroup(env=server_env, logs=tmp_path)
    port = free_port()
    try:
        up = group.start("up", "up", "--port", str(port))
        wait_healthy(f"http://127.0.0.1:{port}", up)
        bin_dir = str(Path(sys.executable).parent)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", cli_walkthrough()],
            cwd=tmp_path,
            env={
                **env,
                "PATH": f"{bin_dir}:{env['PATH']}",
                "BACKPROP_URL": f"http://127.0.0.1:{port}",
            },
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
