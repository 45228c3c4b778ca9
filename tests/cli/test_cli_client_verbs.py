"""`backprop datasets|jobs|models ...` through CliRunner against a live server (real HTTP)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from service.cli import app

ROOT = Path(__file__).resolve().parents[2]
WINE = ROOT / "examples" / "wine.csv"
SPEC = ROOT / "examples" / "wine-job.json"
ROW = [13.2, 1.78, 2.14, 11.2, 100, 2.65, 2.76, 0.26, 1.28, 4.38, 1.05, 3.4, 1050]


def run(server, *args: str, code: int = 0, **env: str | None):  # noqa: ANN201
    result = CliRunner().invoke(app, list(args), env=server.env(**env))
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_upload_submit_follow_predict_download(live_server, tmp_path):
    dataset_id = run(live_server, "datasets", "upload", str(WINE), "--target", "cultivar", "-q")
    dataset_id = dataset_id.stdout.strip()
    shown = json.loads(run(live_server, "datasets", "show", dataset_id, "--json").stdout)
    assert shown["rows"] == 178 and shown["classes"] == ["barbera", "barolo", "grignolino"]
    assert dataset_id in run(live_server, "datasets", "list").stdout

    result = run(live_server, "jobs", "submit", str(SPEC), "--dataset", dataset_id, "-f", "-q")
    model_id = result.stdout.strip()
    assert len(model_id) == 36, result.output
    assert "succeeded" in result.stderr and "loss" in result.stderr  # the progress bar

    jobs = json.loads(run(live_server, "jobs", "list", "--json").stdout)["items"]
    assert jobs[0]["status"] == "succeeded" and jobs[0]["model_id"] == model_id
    history = json.loads(run(live_server, "jobs", "history", jobs[0]["id"], "--json").stdout)
    assert [e["epoch"] for e in history["epochs"]] == list(range(1, len(history["epochs"]) + 1))
    table = run(live_server, "jobs", "history", jobs[0]["id"]).stdout
    assert "val loss" in table and "accuracy" in table
    assert "succeeded" in run(live_server, "jobs", "show", jobs[0]["id"]).stdout

    shown = run(live_server, "models", "show", model_id).stdout
    assert "dense" in shown and "dropout" in shown and "val_accuracy" in shown
    out = json.loads(
        run(live_server, "models", "predict", model_id, "--csv", str(WINE), "--json").stdout
    )
    labels = [line.split(",")[6] for line in WINE.read_text().splitlines()[1:]]
    accuracy = np.mean(np.array(out["predictions"]) == np.array(labels))
    assert accuracy > 0.9, accuracy
    one = run(live_server, "models", "predict", model_id, "--instances", json.dumps(ROW), "--json")
    assert json.loads(one.stdout)["predictions"] == ["barolo"]
    table = run(live_server, "models", "predict", model_id, "--instances", json.dumps([ROW])).stdout
    assert "barolo" in table and "p(grignolino)" in table

    target = tmp_path / "w.npz"
    run(live_server, "models", "download", model_id, "-o", str(target))
    weights = np.load(io.BytesIO(target.read_bytes()), allow_pickle=False)
    assert "layers.0.W" in weights.files
    assert model_id in run(live_server, "models", "list").stdout
    deleted = run(live_server, "jobs", "delete", jobs[0]["id"], "--delete-model").stdout
    assert f"deleted job {jobs[0]['id']} and its model" in deleted
    assert "not found" in run(live_server, "models", "show", model_id, code=1).stderr


def test_submit_without_follow_then_cancel_and_follow(live_server, tmp_path):
    dataset_id = run(live_server, "datasets", "upload", str(WINE), "-t", "cultivar", "-q")
    spec = json.loads(SPEC.read_text())
    spec["dataset_id"] = dataset_id.stdout.strip()
    spec["training"].update(epochs=5000, batch_size=1, early_stopping=None)
    spec_file = tmp_path / "long.json"
    spec_file.write_text(json.dumps(spec))
    job_id = run(live_server, "jobs", "submit", str(spec_file), "-q").stdout.strip()
    listed = json.loads(run(live_server, "jobs", "list", "--json").stdout)["items"]
    assert [j["id"] for j in listed] == [job_id]
    assert "cancel it first" in run(live_server, "jobs", "delete", job_id, code=1).stderr
    cancelled = json.loads(run(live_server, "jobs", "cancel", job_id, "--json").stdout)
    assert cancelled["cancel_requested"] is True
    result = run(live_server, "jobs", "follow", job_id, code=1)
    assert "cancelled" in result.stderr
    assert json.loads(run(live_server, "jobs", "show", job_id, "--json").stdout)["status"] == (
        "cancelled"
    )
    assert f"deleted job {job_id}" in run(live_server, "jobs", "delete", job_id).stdout
    assert "not found" in run(live_server, "jobs", "show", job_id, code=1).stderr


def test_errors_are_readable(live_server, tmp_path):
    result = run(live_server, "jobs", "show", "nope", code=1)
    assert "job nope not found" in result.stderr
    result = run(live_server, "datasets", "list", code=1, BACKPROP_API_KEY="bp_wrong")
    assert "invalid API key" in result.stderr
    result = run(live_server, "datasets", "upload", str(WINE), code=2)
    assert "--target" in result.output
    result = run(live_server, "jobs", "submit", str(SPEC), code=2)
    assert "--dataset" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"network": {"layers": [{"type": "dense", "units": 2}]}}))
    upload = run(live_server, "datasets", "upload", str(WINE), "-t", "cultivar", "-q")
    result = run(live_server, "jobs", "submit", str(bad), "-d", upload.stdout.strip(), code=1)
    assert "layer" in result.stderr and "3" in result.stderr
    result = run(live_server, "datasets", "list", code=1, BACKPROP_URL="http://127.0.0.1:9")
    assert "cannot reach" in result.stderr
    for target in ("[/nope]", "[bold]x"):  # the service's message names it: no markup
        result = run(live_server, "datasets", "upload", str(WINE), "--target", target, code=1)
        assert f"target column '{target}' not found" in result.stderr, result.stderr


def test_key_comes_from_the_key_file_of_backprop_up(live_server, tmp_path):
    data_dir = tmp_path / "upd"
    data_dir.mkdir()
    (data_dir / "api-key.txt").write_text(live_server.key + "\n")
    result = run(
        live_server,
        "datasets",
        "list",
        "--json",
        BACKPROP_API_KEY=None,
        BACKPROP_DATA_DIR=str(data_dir),
    )
    assert json.loads(result.stdout)["total"] == 0
    result = run(
        live_server,
        "datasets",
        "list",
        code=2,
        BACKPROP_API_KEY=None,
        BACKPROP_DATA_DIR=str(tmp_path / "none"),
    )
    assert "no API key" in result.stderr
    result = run(live_server, "datasets", "list", "--key", live_server.key, BACKPROP_API_KEY=None)
    assert "none yet" in result.stdout
