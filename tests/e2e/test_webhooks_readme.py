"""The README's Webhooks section, run as written (bash and Python) against `backprop up`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import httpx
import pytest
from processes import ROOT, wait_healthy
from support import csv_bytes, free_port, wait_for_job
from webhook_receiver import Receiver, settled

pytestmark = pytest.mark.e2e


def section_blocks(language: str) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def bash(script: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_webhooks_section(processes, tmp_path):
    processes.env["BACKPROP_WEBHOOK_ALLOW_PRIVATE"] = "true"
    processes.env["BACKPROP_WEBHOOK_POLL_SECONDS"] = "0.2"
    port = free_port()
    up = processes.start("up", "up", "--port", str(port))
    api = f"http://127.0.0.1:{port}"
    wait_healthy(api, up)
    key = (tmp_path / "data" / "api-key.txt").read_text().strip()
    create, inspect, cli = section_blocks("bash")
    (verify,) = section_blocks("python")
    namespace: dict = {}
    exec(verify, namespace)  # noqa: S102 (the README's own snippet)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env.update({"KEY": key, "API": api})
    assert "backprop webhooks create $RECEIVER" in cli and "webhooks deliveries $WEBHOOK" in cli

    with Receiver(lambda earlier: 200) as receiver:
        script = create.replace(
            "RECEIVER=http://127.0.0.1:9000/backprop", f"RECEIVER={receiver.url}"
        )
        assert script != create, "the README no longer sets RECEIVER as this test expects"
        out = bash(script + '\necho "$WEBHOOK $SECRET"\n', env)
        webhook, secret = out.split()[-2:]
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}) as client:
            data = csv_bytes(["a", "b", "t"], [[i, i % 3, i % 2] for i in range(30)])
            ds = client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
            network = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}
            job = client.post("/v1/jobs", json={"dataset_id": ds.json()["id"], "network": network})
            wait_for_job(client, job.json()["id"])
            receiver.wait_until(lambda r: len(r.accepted()) == 3)
            settled(lambda: client.get(f"/v1/webhooks/{webhook}/deliveries").json()["items"])
    for request in receiver.received:
        signature = request.headers["x-backprop-signature"]
        assert namespace["verified"](secret, request.body, signature)
        assert not namespace["verified"](secret, request.body + b" ", signature)
    assert sorted(r.event for r in receiver.received) == [
        "job.queued",
        "job.running",
        "job.succeeded",
    ]

    lines = bash(inspect, {**env, "WEBHOOK": webhook}).splitlines()
    deliveries, hooks = json.loads(lines[0]), json.loads(lines[1])
    assert [d["status"] for d in deliveries["items"]] == ["delivered"] * 3
    assert hooks["items"][0]["id"] == webhook and secret not in lines[1]
    listed = httpx.get(f"{api}/v1/webhooks", headers={"Authorization": f"Bearer {key}"})
    assert listed.json()["total"] == 0  # the block ends by deleting it
