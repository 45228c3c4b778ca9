"""The dashboard's results box (results.js) under node: figures of the model's epoch and of
the last epoch, each headed by its epoch, regression units named, no bookkeeping keys."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

STATIC_DIR = Path(__file__).resolve().parents[2] / "service" / "api" / "static"
NODE = shutil.which("node")

RESULTS_SCRIPT = """
globalThis.Node = class {};
globalThis.document = {
  createElement: (tag) => Object.assign(new Node(), {tag, kids: [],
    append(...c) { this.kids.push(...c); }, setAttribute() {}, addEventListener() {}}),
  createTextNode: (text) => text,
};
const {results} = await import(process.argv[1]);
const text = (node) => typeof node === "string" ? node : (node.kids || []).map(text).join("|");
const out = JSON.parse(process.argv[2]).map(([m, done]) => results(m, done).map(text));
console.log(JSON.stringify(out));
"""

BEST = {"epoch": 12, "epochs_run": 22, "epochs_planned": 60, "stopped_early": True,
        "restored_best_epoch": 12, "loss": 0.0065, "val_loss": 0.0936,
        "last_epoch": {"epoch": 22, "loss": 0.0033, "val_loss": 0.1187}}  # fmt: skip
REGRESSION = {"epoch": 30, "epochs_run": 30, "epochs_planned": 30, "stopped_early": False,
              "restored_best_epoch": None, "loss": 0.25, "mae": 3.5,
              "last_epoch": {"epoch": 30, "loss": 0.25, "mae": 3.5},
              "units": {"loss": "standardised", "mae": "target"}}  # fmt: skip


def run_results(cases: list[tuple[dict[str, Any], bool]]) -> list[list[str]]:
    out = subprocess.run(
        [NODE or "node", "--experimental-default-type=module", "--input-type=module", "-e",
         RESULTS_SCRIPT, "--", (STATIC_DIR / "results.js").as_uri(), json.dumps(cases)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


@pytest.mark.skipif(NODE is None, reason="needs node to run the dashboard's JavaScript")
def test_results_show_the_restored_best_and_the_last_epoch_and_regression_units():
    best, regression, running = run_results(
        [(BEST, True), (REGRESSION, True), ({"epoch": 3, "loss": 0.5}, False)]
    )
    assert best[0] == "Best epoch 12, restored by early stopping (of 22 run)"
    assert "training loss|0.0065" in best[1] and "validation loss|0.0936" in best[1]
    assert best[2] == "Last epoch (22)"
    assert "training loss|0.0033" in best[3] and "validation loss|0.1187" in best[3]
    assert all(word not in "".join(best) for word in ("object", "stopped", "planned", "units"))
    assert regression[0] == "Last epoch (30)" and len(regression) == 2
    assert "training loss (standardised)|0.25" in regression[1]
    assert "training mean absolute error (target units)|3.5" in regression[1]
    assert running == ["Latest epoch (3)", "training loss|0.5"]
