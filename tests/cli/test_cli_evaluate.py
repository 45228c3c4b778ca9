"""`backprop models evaluate` and BackpropClient.evaluate against a live server."""

from __future__ import annotations

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


def test_models_evaluate_prints_metrics_confusion_and_importance(live_server):
    dataset_id = run(live_server, "datasets", "upload", str(WINE), "-t", "cultivar", "-q")
    dataset_id = dataset_id.stdout.strip()
    model_id = run(live_server, "jobs", "submit", str(SPEC), "-d", dataset_id, "-f", "-q")
    model_id = model_id.stdout.strip()

    shown = run(live_server, "models", "show", model_id).stdout
    assert "validation split" in shown and "confusion" not in shown  # a summary, not JSON
    out = run(live_server, "models", "evaluate", model_id, "--dataset", dataset_id).stdout
    assert "accuracy" in out and "roc_auc" in out and "confusion matrix" in out
    assert "barolo" in out and "precision" in out and "178 rows" in out
    data = json.loads(
        run(live_server, "models", "evaluate", model_id, "--dataset", dataset_id, "--json").stdout
    )
    assert data["rows"] == 178 and data["metrics"]["accuracy"] > 0.9
    with BackpropClient(live_server.url, live_server.key) as bp:
        assert bp.evaluate(model_id, dataset_id)["metrics"] == data["metrics"]
        ranked = bp.evaluate(model_id, dataset_id, importance=True)["importance"]["columns"]
    assert len(ranked) == 13
    shown = run(
        live_server, "models", "evaluate", model_id, "--dataset", dataset_id, "--importance"
    ).stdout
    assert "permutation importance" in shown and ranked[0]["column"] in shown

    missing = run(live_server, "models", "evaluate", model_id, "--dataset", "nope", code=1)
    assert "dataset nope not found" in missing.stderr
    usage = run(live_server, "models", "evaluate", model_id, code=2)
    assert "--dataset" in usage.output
