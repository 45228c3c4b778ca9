"""`backprop models predict --csv` on a model trained on a table sends named records:
text in categorical columns, empty cells as gaps, extra columns left out."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from support import wait_for_job
from typer.testing import CliRunner

from service.cli import app

ROOT = Path(__file__).resolve().parents[2]
PENGUINS = ROOT / "examples" / "penguins.csv"


def test_predict_csv_sends_records_by_column_name(live_server, tmp_path):
    headers = {"Authorization": f"Bearer {live_server.key}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=60) as client:
        r = client.post(
            "/v1/datasets",
            files={"file": ("p.csv", PENGUINS.read_bytes())},
            data={"target": "species", "ignore": "id", "impute": "median"},
        )
        assert r.status_code == 201, r.text
        body = {
            "dataset_id": r.json()["id"],
            "network": {
                "layers": [
                    {"type": "dense", "units": 16, "activation": "relu"},
                    {"type": "dense", "units": 3, "activation": "softmax"},
                ]
            },
            "training": {"optimizer": {"type": "adam", "learning_rate": 0.02}, "epochs": 30},
        }
        job = wait_for_job(client, client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job
    rows = tmp_path / "new.csv"
    rows.write_text(
        "species,sex,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,note\n"
        "?,,Biscoe,47.5,15.0,217,5076,x\n"
        "?,female,Dream,49.0,18.5,,3730,y\n"
    )
    result = CliRunner().invoke(
        app,
        ["models", "predict", job["model_id"], "--csv", str(rows), "--json"],
        env=live_server.env(),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["predictions"] == ["Gentoo", "Chinstrap"]
