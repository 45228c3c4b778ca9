"""The README's curl walkthrough, run as written against `backprop up`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from processes import ROOT, wait_healthy
from support import free_port

pytestmark = pytest.mark.e2e


def section_script(heading: str) -> str:
    """The first bash block after `heading` in the README."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(heading, 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def walkthrough_script() -> str:
    return section_script("## Walkthrough with curl")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_walkthrough(processes, tmp_path: Path):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    processes.env["BACKPROP_DATA_DIR"] = str(tmp_path / ".backprop")
    port = free_port()
    up = processes.start("up", "up", "--port", str(port))
    wait_healthy(f"http://127.0.0.1:{port}", up)
    script = walkthrough_script().replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    prediction = json.loads(done.stdout.strip().splitlines()[-1])
    assert prediction["predictions"] == ["barolo"]
    assert len(prediction["probabilities"][0]) == 3


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_tables_walkthrough(processes, tmp_path: Path):
    """The penguins block, run after the walkthrough in the same shell as the README says."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    processes.env["BACKPROP_DATA_DIR"] = str(tmp_path / ".backprop")
    port = free_port()
    up = processes.start("up", "up", "--port", str(port))
    wait_healthy(f"http://127.0.0.1:{port}", up)
    script = walkthrough_script() + section_script("## Tables as they come")
    script = script.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    prediction = json.loads(done.stdout.strip().splitlines()[-1])
    assert prediction["predictions"] == ["Gentoo"]
