"""`backprop registry ...` through CliRunner against a live server, and models by NAME@ALIAS."""

from __future__ import annotations

import json

from support import csv_bytes
from typer.testing import CliRunner

from service.cli import app
from service.client import BackpropClient

NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}


def run(server, *args: str, code: int = 0):  # noqa: ANN201
    result = CliRunner().invoke(app, list(args), env=server.env())
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def train(bp: BackpropClient, tmp_path, labels: tuple[str, str]) -> str:
    path = tmp_path / f"{labels[0]}.csv"
    path.write_bytes(csv_bytes(["a", "b", "t"], [[i, i % 5, labels[i % 2]] for i in range(40)]))
    ds = bp.upload_dataset(path, target="t")
    job = bp.submit_job({"dataset_id": ds["id"], "network": NETWORK, "training": {"epochs": 2}})
    done = bp.wait(job["id"], timeout=120, poll=0.1)
    assert done["status"] == "succeeded", done
    return done["model_id"]


def test_registry_verbs(live_server, tmp_path):
    with BackpropClient(live_server.url, live_server.key) as bp:
        a, b = train(bp, tmp_path, ("yes", "no")), train(bp, tmp_path, ("up", "down"))
    assert "wine@1 is model " + a in run(live_server, "registry", "register", "wine", a).stdout
    out = json.loads(run(live_server, "registry", "register", "wine", b, "--json").stdout)
    assert out["version"] == 2 and out["model_id"] == b
    assert "version 1" in run(live_server, "registry", "alias", "wine", "production", "1").stdout

    listed = run(live_server, "registry", "list").stdout
    assert "wine" in listed and "production->1" in listed
    shown = run(live_server, "registry", "show", "wine").stdout
    assert a in shown and b in shown and "production" in shown
    shown = json.loads(run(live_server, "registry", "show", "wine", "--json").stdout)
    assert shown["aliases"] == {"production": 1}

    model = run(live_server, "models", "show", "wine@production").stdout
    assert a in model and "wine@1, wine@production" in model and "dataset_sha256" in model
    rows = json.dumps([[1, 2], [3, 4]])
    before = run(live_server, "models", "predict", "wine@production", "--instances", rows, "--json")
    assert set(json.loads(before.stdout)["predictions"]) <= {"yes", "no"}
    run(live_server, "registry", "alias", "wine", "production", "2")
    after = run(live_server, "models", "predict", "wine@production", "--instances", rows, "--json")
    assert set(json.loads(after.stdout)["predictions"]) <= {"up", "down"}

    refused = run(live_server, "registry", "delete-version", "wine", "2", code=1)
    assert "alias production" in refused.stderr
    assert (
        "deleted alias" in run(live_server, "registry", "delete-alias", "wine", "production").stdout
    )
    assert "deleted version 2" in run(live_server, "registry", "delete-version", "wine", "2").stdout
    missing = run(live_server, "registry", "show", "nope", code=1)
    assert "registry name nope not found" in missing.stderr
