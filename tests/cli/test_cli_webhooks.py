"""`backprop webhooks create|list|deliveries|delete` against a live server (real HTTP)."""

from __future__ import annotations

import json
import time

from support import csv_bytes
from typer.testing import CliRunner
from webhook_receiver import Receiver, fail_first

from service.cli import app

SECRET = "cli-secret-for-the-receiver"


def run(server, *args: str, code: int = 0, **env: str):  # noqa: ANN201
    result = CliRunner().invoke(app, list(args), env=server.env(**env))
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_webhook_verbs(live_server, tmp_path):
    settings = live_server.settings
    settings.webhook_allow_private = True
    settings.webhook_backoff_seconds = 0.2
    settings.webhook_poll_seconds = 0.1
    with Receiver(fail_first) as receiver:
        created = run(
            live_server, "webhooks", "create", receiver.url, "--event", "job.*", "--secret", SECRET
        )
        assert "created webhook" in created.stdout and "job.* -> " + receiver.url in created.stdout
        webhook_id = created.stdout.split()[2]
        quiet = run(
            live_server, "webhooks", "create", receiver.url, "-e", "job.failed", "-e",
            "job.cancelled", "-q", BACKPROP_WEBHOOK_SECRET=SECRET,
        )  # fmt: skip
        assert len(quiet.stdout.strip()) == 36
        listed = run(live_server, "webhooks", "list", "--json")
        assert [h["events"] for h in json.loads(listed.stdout)["items"]] == [
            ["job.failed", "job.cancelled"],
            ["job.*"],
        ]
        assert SECRET not in listed.stdout
        assert receiver.url in run(live_server, "webhooks", "list").stdout

        data = tmp_path / "d.csv"
        data.write_bytes(csv_bytes(["a", "b", "t"], [[i, i % 3, i % 2] for i in range(30)]))
        dataset = run(live_server, "datasets", "upload", str(data), "-t", "t", "-q").stdout
        spec = tmp_path / "job.json"
        network = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}
        spec.write_text(json.dumps({"dataset_id": dataset.strip(), "network": network}))
        run(live_server, "jobs", "submit", str(spec), "-f", "-q")
        receiver.wait_until(lambda r: len(r.accepted()) == 3)
    assert all(r.signed_with(SECRET) for r in receiver.received)

    deadline = time.monotonic() + 30
    while True:  # the last acceptance is recorded just after the receiver answered
        page = json.loads(run(live_server, "webhooks", "deliveries", webhook_id, "--json").stdout)
        if all(d["status"] == "delivered" for d in page["items"]):
            break
        assert time.monotonic() < deadline, page
        time.sleep(0.05)
    assert sorted(d["event"] for d in page["items"]) == [
        "job.queued",
        "job.running",
        "job.succeeded",
    ]
    shown = run(live_server, "webhooks", "deliveries", webhook_id, "--status", "delivered")
    assert shown.stdout.count("delivered") == 3 and "job.succeeded" in shown.stdout

    refused = run(
        live_server, "webhooks", "create", "ftp://example.com/", "-e", "*", "--secret", SECRET,
        code=1,
    )  # fmt: skip
    assert "http or https" in refused.output
    unknown = run(
        live_server, "webhooks", "create", receiver.url, "-e", "job.done", "--secret", SECRET,
        code=1,
    )  # fmt: skip
    assert "'job.done' is not an event" in unknown.output
    run(live_server, "webhooks", "delete", webhook_id)
    missing = run(live_server, "webhooks", "deliveries", webhook_id, code=1)
    assert f"webhook {webhook_id} not found" in missing.output
