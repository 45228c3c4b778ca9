"""The README's registry walkthrough, run as written by bash (curl) against a live server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from processes import ROOT
from support import WINE_NETWORK, wait_for_job, wine_csv, wine_split

from service.client import BackpropClient


def registry_script() -> str:
    section = (ROOT / "README.md").read_text().split("## Model registry and lineage", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_registry_walkthrough(live_server, tmp_path):
    names, X, _, y, _, _ = wine_split()
    with BackpropClient(live_server.url, live_server.key) as bp:
        path = tmp_path / "wine.csv"
        path.write_bytes(wine_csv(names, X, y))
        ds = bp.upload_dataset(path, target="cultivar")
        training = {"epochs": 30, "batch_size": 16, "seed": 0}
        job = bp.submit_job({"dataset_id": ds["id"], "network": WINE_NETWORK, "training": training})
        model_id = wait_for_job(bp.http, job["id"])["model_id"]
    env = {
        "KEY": live_server.key,
        "API": live_server.url,
        "MODEL": model_id,
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", registry_script()],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.strip().split("\n")
    assert json.loads(out[0])["version"] == 1
    assert json.loads(out[1]) == {"name": "wine", "alias": "production", "version": 1}
    assert json.loads(out[2])["aliases"] == {"production": 1}
    assert json.loads(out[3])["predictions"] == ["barolo"]
    lineage = json.loads("\n".join(out[4:]))
    assert lineage["dataset_id"] == ds["id"] and lineage["job_id"] == job["id"]
    assert lineage["dataset_sha256"] == ds["content_sha256"]
