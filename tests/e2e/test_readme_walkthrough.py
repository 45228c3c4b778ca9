"""The README's curl walkthrough, then in the same shell, in the README's order, its tables
walkthrough, batch scoring, the ONNX export, the event-stream example and the hyperparameter
search (curl, then the CLI); and the ONNX Python snippet. All run as written against
`backprop up`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from readme_blocks import block, readme_blocks, run_saved, up_in_repository_root

pytestmark = pytest.mark.e2e
TABLES = "Tables as they come: text columns, gaps and id columns"
SEARCH = "Hyperparameter search"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_walkthrough(processes, tmp_path: Path):
    root, port = up_in_repository_root(processes, tmp_path)
    search_curl, search_cli = [
        b.code for b in readme_blocks() if b.heading == SEARCH and b.lang == "bash"
    ]
    script = "\n".join(
        [
            block("Walkthrough with curl"),
            "echo '--- tables ---'",
            block(TABLES),  # "after the walkthrough above, in the same shell"
            "echo '--- evaluate ---'",
            block("Evaluate a model"),  # "after the penguins block above, in the same shell"
            "echo '--- scoring ---'",
            block("Batch scoring"),  # "after the penguins block above (same shell)"
            "echo '--- onnx ---'",
            block("Exporting to ONNX"),  # "in the terminal of the curl walkthrough"
            "echo '--- events ---'",
            block("Dashboard"),  # the same
            "echo '--- big batches ---'",
            block("REST API (v1)"),  # an .npy body for the walkthrough's $MODEL
            "echo '--- search ---'",
            search_curl,  # $DATASET is the walkthrough's wine
            "echo '--- search cli ---'",
            search_cli,
        ]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKPROP_")}
    env["BACKPROP_URL"] = f"http://127.0.0.1:{port}"  # for the CLI line
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(":8000", f":{port}")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    predicted, rest = done.stdout.split("--- tables ---\n")
    tables, rest = rest.split("--- evaluate ---\n")
    evaluated, rest = rest.split("--- scoring ---\n")
    scored, rest = rest.split("--- onnx ---\n")
    _, rest = rest.split("--- events ---\n")
    stream, rest = rest.split("--- big batches ---\n")
    batch, rest = rest.split("--- search ---\n")
    assert len(json.loads(batch.strip().splitlines()[-1])["predictions"]) == 1000
    searched, followed = rest.split("--- search cli ---\n")
    prediction = json.loads(predicted.strip().splitlines()[-1])
    assert prediction["predictions"] == ["barolo"]
    assert len(prediction["probabilities"][0]) == 3
    assert json.loads(tables.strip().splitlines()[-1])["predictions"] == ["Gentoo"]
    evaluation = json.loads(evaluated.strip().splitlines()[-1])
    assert evaluation["rows"] == 240 and evaluation["metrics"]["accuracy"] > 0.9
    labels = evaluation["metrics"]["confusion_matrix"]["labels"]
    assert labels == ["Adelie", "Chinstrap", "Gentoo"]
    assert {c["column"] for c in evaluation["importance"]["columns"]} == {
        "island",
        "sex",
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
    }
    header, first = scored.strip().splitlines()[-2:]  # head -2 scores.csv
    assert header == (
        "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,species,"
        "prediction,p(Adelie),p(Chinstrap),p(Gentoo)"
    )
    assert first.startswith("Dream,47.9,20.9,200,4155,male,Chinstrap,")
    events = [ln.split(": ", 1)[1] for ln in stream.splitlines() if ln.startswith("event: ")]
    assert "status" in events and "epoch" in events and events[-1] == "end", stream
    assert "id: 1\n" in stream, stream  # epoch events carry their epoch as the event id

    search_json, trials_json = (json.loads(ln) for ln in searched.strip().splitlines()[-2:])
    assert search_json["status"] == "succeeded" and search_json["trials"]["succeeded"] == 8
    trials = trials_json["trials"]
    best = min(trials, key=lambda t: (t["value"], t["trial"]))
    assert search_json["best"]["job_id"] == best["job_id"], (search_json, trials)
    assert "event: end" in searched and "event: trial_ended" in searched, searched
    assert followed.count("succeeded") >= 2 and search_json["id"] in followed, followed

    done = run_saved(root, "onnx_predict.py", block("Exporting to ONNX", "python"))
    assert "['barolo']" in done.stdout.splitlines()[-1], done.stdout
