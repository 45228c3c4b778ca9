"""The README's curl walkthrough, then in the same shell its tables walkthrough and its
event-stream example, run as written against `backprop up`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from readme_blocks import block, up_in_repository_root

pytestmark = pytest.mark.e2e
TABLES = "Tables as they come: text columns, gaps and id columns"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_walkthrough(processes, tmp_path: Path):
    root, port = up_in_repository_root(processes, tmp_path)
    script = "\n".join(
        [
            block("Walkthrough with curl"),
            "echo '--- tables ---'",
            block(TABLES),  # "after the walkthrough above, in the same shell"
            "echo '--- events ---'",
            block("Dashboard"),  # "in the terminal of the curl walkthrough"
        ]
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(":8000", f":{port}")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    predicted, rest = done.stdout.split("--- tables ---\n")
    tables, stream = rest.split("--- events ---\n")
    prediction = json.loads(predicted.strip().splitlines()[-1])
    assert prediction["predictions"] == ["barolo"]
    assert len(prediction["probabilities"][0]) == 3
    assert json.loads(tables.strip().splitlines()[-1])["predictions"] == ["Gentoo"]
    events = [ln.split(": ", 1)[1] for ln in stream.splitlines() if ln.startswith("event: ")]
    assert "status" in events and "epoch" in events and events[-1] == "end", stream
    assert "id: 1\n" in stream, stream  # epoch events carry their epoch as the event id
