"""`backprop models score` and the client's scoring verbs against a live server."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from service.cli import app
from service.client import BackpropClient

ROOT = Path(__file__).resolve().parents[2]
WINE = ROOT / "examples" / "wine.csv"
SPEC = ROOT / "examples" / "wine-job.json"


def run(server, *args: str, code: int = 0):  # noqa: ANN201
    result = CliRunner().invoke(app, list(args), env=server.env())
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_score_follow_saves_the_csv_and_the_client_reads_the_run(live_server, tmp_path):
    dataset = run(live_server, "datasets", "upload", str(WINE), "--target", "cultivar", "-q")
    dataset = dataset.stdout.strip()
    model = run(live_server, "jobs", "submit", str(SPEC), "--dataset", dataset, "-f", "-q")
    model = model.stdout.strip()

    out = tmp_path / "scores.csv"
    result = run(live_server, "models", "score", model, "--dataset", dataset, "-f", "-o", str(out))
    assert "succeeded" in result.stdout and "178 of 178" in result.stdout
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 178 and {"cultivar", "prediction", "p(barolo)"} <= set(rows[0])

    queued = json.loads(run(live_server, "models", "score", model, "-d", dataset, "--json").stdout)
    assert queued["progress"]["total"] == 178
    with BackpropClient(live_server.url, live_server.key) as bp:
        ended = bp.wait_scoring(model, queued["id"], timeout=120, poll=0.1)
        assert ended["status"] == "succeeded" and ended["download"].endswith("/download")
        size = bp.download_scores(model, queued["id"], tmp_path / "again.csv")
    assert size == out.stat().st_size
    assert (tmp_path / "again.csv").read_bytes() == out.read_bytes()  # the same model, rows

    shown = run(live_server, "models", "scoring", model, queued["id"]).stdout
    assert "succeeded" in shown and "178 of 178" in shown
    third = tmp_path / "third.csv"
    run(live_server, "models", "scoring-download", model, queued["id"], "-o", str(third))
    assert third.read_bytes() == out.read_bytes()
    refused = run(live_server, "models", "scoring-cancel", model, queued["id"], code=1)
    assert refused.stderr.strip()  # an ended run cannot be cancelled: a one-line error
    assert "deleted run" in run(live_server, "models", "scoring-delete", model, queued["id"]).stdout
    run(live_server, "models", "scoring", model, queued["id"], code=1)  # gone: 404

    result = run(live_server, "models", "score", model, "-d", "no-such-dataset", code=1)
    assert "dataset no-such-dataset not found" in result.stderr
