"""`backprop searches ...` through CliRunner against a live server (real HTTP), and the
client's search methods."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from service.cli import app
from service.client import BackpropClient

ROOT = Path(__file__).resolve().parents[2]
WINE = ROOT / "examples" / "wine.csv"
SEARCH = ROOT / "examples" / "wine-search.json"


def run(server, *args: str, code: int = 0):  # noqa: ANN201
    result = CliRunner().invoke(app, list(args), env=server.env())
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_submit_follow_list_show_trials_cancel(live_server, tmp_path):
    dataset_id = run(live_server, "datasets", "upload", str(WINE), "--target", "cultivar", "-q")
    dataset_id = dataset_id.stdout.strip()
    spec = json.loads(SEARCH.read_text())
    spec["strategy"]["max_trials"] = 3
    spec["training"]["epochs"] = 5
    small = tmp_path / "search.json"
    small.write_text(json.dumps(spec))
    result = run(live_server, "searches", "submit", str(small), "--dataset", dataset_id, "-f")
    assert "trials (val_loss, minimize)" in result.stdout and "best value" in result.stdout
    assert result.stdout.count("succeeded") >= 3, result.stdout

    page = json.loads(run(live_server, "searches", "list", "--json").stdout)
    search = page["items"][0]
    assert page["total"] == 1 and search["status"] == "succeeded"
    assert search["id"] in run(live_server, "searches", "list").stdout
    shown = json.loads(run(live_server, "searches", "show", search["id"], "--json").stdout)
    trials = json.loads(run(live_server, "searches", "trials", search["id"], "--json").stdout)
    assert len(trials["trials"]) == 3
    best = min(trials["trials"], key=lambda t: (t["value"], t["trial"]))
    assert shown["best"]["job_id"] == best["job_id"]
    assert "network.layers[1].units" in json.dumps(trials)
    result = run(live_server, "searches", "cancel", search["id"], code=1)
    assert "already succeeded" in result.output

    with BackpropClient(live_server.url, live_server.key) as bp:
        spec["dataset_id"] = dataset_id
        spec["training"]["epochs"] = 3000
        started = bp.submit_search(spec)
        assert bp.cancel_search(started["id"])["cancel_requested"] is True
        assert bp.wait_search(started["id"], poll=0.2)["status"] == "cancelled"
        events = [e.event for e in bp.iter_search_events(started["id"])]
        assert events[-1] == "end"
        bp.delete_search(started["id"])
        assert bp.list_searches()["total"] == 1
