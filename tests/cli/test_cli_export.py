"""`backprop models export ID --format onnx -o FILE` against a live server (real HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from onnx_support import assert_agrees, run_onnx
from typer.testing import CliRunner

from service.cli import app

WINE = Path(__file__).resolve().parents[2] / "examples" / "wine.csv"


def run(server, *args: str, code: int = 0):  # noqa: ANN201
    result = CliRunner().invoke(app, list(args), env=server.env())
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_export_onnx_to_a_file(live_server, tmp_path):
    dataset_id = run(live_server, "datasets", "upload", str(WINE), "-t", "cultivar", "-q")
    spec = {
        "dataset_id": dataset_id.stdout.strip(),
        "network": {"layers": [{"type": "dense", "units": 3, "activation": "softmax"}]},
        "training": {"epochs": 3, "seed": 0},
    }
    spec_file = tmp_path / "job.json"
    spec_file.write_text(json.dumps(spec))
    model_id = run(live_server, "jobs", "submit", str(spec_file), "-f", "-q").stdout.strip()

    target = tmp_path / "wine.onnx"
    result = run(live_server, "models", "export", model_id, "--format", "onnx", "-o", str(target))
    assert f"to {target}" in result.stdout
    rows = [line.split(",") for line in WINE.read_text().splitlines()[1:]]
    X = np.array([[float(v) for i, v in enumerate(r) if i != 6] for r in rows], np.float32)
    predicted = run(live_server, "models", "predict", model_id, "--csv", str(WINE), "--json")
    assert_agrees(json.loads(predicted.stdout), run_onnx(target.read_bytes(), X))

    result = run(live_server, "models", "export", model_id, "--format", "pmml", code=1)
    assert "formats: onnx" in result.output
    assert not Path(f"model-{model_id}.pmml").exists()
