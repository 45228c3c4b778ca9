"""The CLI options that mirror request fields do what the fields do (live server, real HTTP):
--impute, --task and --target for JSON, --max-runtime-seconds, --idempotency-key and
--keep-model."""

from __future__ import annotations

import json
import time
from pathlib import Path

from typer.testing import CliRunner

from service.cli import app

ROOT = Path(__file__).resolve().parents[2]
WINE = ROOT / "examples" / "wine.csv"
SPEC = ROOT / "examples" / "wine-job.json"


def run(server, *args: str, code: int = 0):  # noqa: ANN201
    result = CliRunner().invoke(app, list(args), env=server.env())
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_upload_with_impute_fills_the_missing_cell_it_refused(live_server, tmp_path):
    lines = WINE.read_text().splitlines()
    cells = lines[5].split(",")
    cells[0] = ""  # alcohol of data row 5
    holey = tmp_path / "holey.csv"
    holey.write_text("\n".join([*lines[:5], ",".join(cells), *lines[6:]]) + "\n")
    refused = run(live_server, "datasets", "upload", str(holey), "-t", "cultivar", code=1)
    assert "--impute mean" in refused.stderr, refused.stderr
    filled = run(live_server, "datasets", "upload", str(holey), "-t", "cultivar",
                 "--impute", "median", "--json")  # fmt: skip
    assert json.loads(filled.stdout)["rows"] == 178
    bad = run(live_server, "datasets", "upload", str(holey), "-t", "cultivar",
              "--impute", "mode", code=2)  # fmt: skip
    assert "mode" in bad.output
    npz_like = tmp_path / "rows.json"
    npz_like.write_text(json.dumps({"X": [[0, 1], [1, 0], [1, 1], [0, 0]], "y": [1, 1, 2, 0]}))
    table = tmp_path / "rows.npz"
    table.write_bytes(b"PK")
    refused = run(live_server, "datasets", "upload", str(table), "--impute", "mean", code=2)
    assert "apply to CSV and JSON" in " ".join(refused.output.split())
    ignored = run(live_server, "datasets", "upload", str(WINE), "-t", "cultivar", "--json",
                  "--ignore", "ash, hue", "--categorical", "magnesium")  # fmt: skip
    columns = {c["name"]: c["kind"] for c in json.loads(ignored.stdout)["columns"]}
    assert "ash" not in columns and "hue" not in columns and columns["magnesium"] == "categorical"
    shown = run(live_server, "datasets", "upload", str(npz_like), "--task", "regression",
                "--target", "score", "--json")  # fmt: skip
    dataset = json.loads(shown.stdout)
    assert (dataset["task"], dataset["target"]) == ("regression", "score")


def test_submit_options_and_cancel_keep_model(live_server, tmp_path):
    dataset = run(live_server, "datasets", "upload", str(WINE), "-t", "cultivar", "-q")
    spec = json.loads(SPEC.read_text())
    spec["training"].update(epochs=5000, batch_size=1, early_stopping=None)
    long = tmp_path / "long.json"
    long.write_text(json.dumps(spec))
    args = ("jobs", "submit", str(long), "-d", dataset.stdout.strip(), "--json",
            "--max-runtime-seconds", "300", "--idempotency-key", "cli-once")  # fmt: skip
    job = json.loads(run(live_server, *args).stdout)
    assert job["max_runtime_seconds"] == 300
    again = json.loads(run(live_server, *args).stdout)
    assert again["id"] == job["id"]
    deadline = time.monotonic() + 120
    while (json.loads(run(live_server, "jobs", "show", job["id"], "--json").stdout)
           .get("progress") or {}).get("epoch", 0) < 1:  # fmt: skip
        assert time.monotonic() < deadline, "the job did not finish an epoch"
        time.sleep(0.1)
    cancelled = json.loads(
        run(live_server, "jobs", "cancel", job["id"], "--keep-model", "--json").stdout
    )
    assert cancelled["cancel_requested"] is True
    run(live_server, "jobs", "follow", job["id"], code=1)
    final = json.loads(run(live_server, "jobs", "show", job["id"], "--json").stdout)
    assert final["status"] == "cancelled" and final["model_id"], final
