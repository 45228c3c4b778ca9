"""GET / serves the dashboard: plain static files, nothing loaded from other sites."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from service.api.routers.dashboard import STATIC_DIR

EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.I)
ALLOWED = {"http://www.w3.org"}  # the SVG namespace, never fetched


def test_page_and_assets_are_served(app_client):
    r = app_client.get("/", headers={"Authorization": ""})  # the page itself needs no key
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert 'src="/static/app.js"' in r.text and 'id="login-form"' in r.text
    scripts = sorted(p.name for p in STATIC_DIR.glob("*.js"))
    assert {"app.js", "datasets.js", "newjob.js", "job.js", "models.js"} <= set(scripts)
    for name in scripts:
        asset = app_client.get(f"/static/{name}")
        assert asset.status_code == 200, name
        assert "javascript" in asset.headers["content-type"]
    assert app_client.get("/static/dashboard.css").headers["content-type"].startswith("text/css")
    assert app_client.get("/static/missing.js").status_code == 404


def test_assets_load_nothing_from_elsewhere_and_resolve_their_imports():
    files = sorted(p for p in STATIC_DIR.iterdir() if p.suffix in {".html", ".js", ".css"})
    assert files
    for path in files:
        text = path.read_text()
        external = {m.group(0) for m in EXTERNAL.finditer(text)} - ALLOWED
        assert not external, f"{path.name} refers to {external}"
        for target in re.findall(r"""from\s+["']\./([\w.-]+)["']""", text):
            assert (STATIC_DIR / target).is_file(), f"{path.name} imports missing {target}"


def test_the_page_uses_the_api_with_the_key_from_session_storage():
    api = (STATIC_DIR / "api.js").read_text()
    assert "sessionStorage" in api and "Authorization" in api and "Bearer" in api
    assert "Last-Event-ID" in api and "/events" in api
    assert "localStorage" not in "".join(p.read_text() for p in STATIC_DIR.glob("*.js"))


NODE = shutil.which("node")


def run_js(script: str, *args: str) -> Any:
    """Run an ES-module script with node (argv[1:] = args); its stdout parsed as JSON."""
    out = subprocess.run(
        [NODE or "node", "--experimental-default-type=module", "--input-type=module", "-e",
         script, "--", *args],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


SCORE_SCRIPT = """
globalThis.Node = class {};
globalThis.document = {createElement: (tag) => ({tag, kids: [], append(c) { this.kids.push(c); },
  setAttribute() {}, addEventListener() {}}), createTextNode: (text) => text};
const {score} = await import(process.argv[1]);
const text = (cell) => [cell].flat().map((c) => (typeof c === "string" ? c : c.kids.join("")));
console.log(JSON.stringify(JSON.parse(process.argv[2]).map((m) => text(score(m)).join(""))));
"""


@pytest.mark.skipif(NODE is None, reason="needs node to run the dashboard's JavaScript")
def test_the_model_list_shows_validation_accuracy_first_and_says_which():
    metrics = [
        {"accuracy": 0.95, "val_accuracy": 0.9722, "loss": 0.1, "val_loss": 0.2},
        {"accuracy": 0.95, "loss": 0.1},
        {"loss": 0.5, "val_loss": 0.25},
        {},
    ]
    assert run_js(SCORE_SCRIPT, (STATIC_DIR / "models.js").as_uri(), json.dumps(metrics)) == [
        "0.9722 validation accuracy",
        "0.95 training accuracy",
        "0.25 validation loss",
        "–",
    ]


FORMAT_SCRIPT = """
const format = await import(process.argv[1] + "/format.js");
const {niceTicks} = await import(process.argv[1] + "/chart.js");
const {progressText} = await import(process.argv[1] + "/dom.js");
const [numbers, names] = JSON.parse(process.argv[2]);
console.log(JSON.stringify({
  numbers: numbers.map(format.num),
  names: names.map(format.metricName),
  ticks: [niceTicks(0.0123, 0.871), niceTicks(1, 18, 8, true), niceTicks(0.5, 0.5)],
  percent: format.percent(0.97222),
  bytes: [format.bytes(8470), format.bytes(12), format.bytes(3.2e6)],
  progress: [progressText({epoch: 18, epochs: 60}, "succeeded"),
    progressText({epoch: 12, epochs: 3000}, "running"), progressText(null, "queued")],
}));
"""


@pytest.mark.skipif(NODE is None, reason="needs node to run the dashboard's JavaScript")
def test_numbers_names_ticks_and_progress_are_written_one_way():
    numbers = [0.97222, 0.95, 0.0058774, 7.2e-05, 12.3456, 4867, 49189.9, 1.0, 0, None]
    names = ["loss", "val_loss", "accuracy", "val_accuracy", "val_mae", "r2", "epochs_run"]
    got = run_js(FORMAT_SCRIPT, STATIC_DIR.as_uri(), json.dumps([numbers, names]))
    assert got["numbers"] == [
        "0.9722", "0.95", "0.005877", "7.2e-5", "12.35", "4,867", "49,190", "1", "0", "–",
    ]  # fmt: skip
    assert got["names"] == [
        "training loss", "validation loss", "training accuracy", "validation accuracy",
        "validation mean absolute error", "training R²", "epochs run",
    ]  # fmt: skip
    assert got["ticks"][0] == [0, 0.2, 0.4, 0.6, 0.8, 1]
    assert got["ticks"][1] == list(range(0, 20, 2)) and got["ticks"][2] == [0.5, 1]
    assert got["percent"] == "97.22%"
    assert got["bytes"] == ["8.47 kB", "12 B", "3.2 MB"]
    assert got["progress"] == ["stopped early at 18 of 60", "12 of 3,000", "queued"]


FORM_SCRIPT = """
const {mlpBody, mlpFieldFor} = await import(process.argv[1] + "/mlpform.js");
const values = {hidden: "64, 32", activation: "tanh", dropout: "0.1", epochs: "abc",
  batch_size: "16", optimizer: "sgd", learning_rate: "0.01", validation_split: "0.2", patience: ""};
const elements = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, {value: v}]));
const form = {elements};
const wine = {id: "d1", task: "classification", classes: ["a", "b", "c"]};
const {body, roles} = mlpBody(form, wine);
const paths = ["network.layers[2].units", "network.layers[0].activation", "network.layers[3].rate",
  "network.layers[4].units", "training.epochs", "training.optimizer.learning_rate", "dataset_id",
  "training.early_stopping.patience", "training.seed"];
console.log(JSON.stringify({body, fields: paths.map((p) => mlpFieldFor(p, roles))}));
"""


@pytest.mark.skipif(NODE is None, reason="needs node to run the dashboard's JavaScript")
def test_the_network_form_builds_the_body_and_places_each_error_by_its_path():
    got = run_js(FORM_SCRIPT, STATIC_DIR.as_uri())
    assert got["body"] == {
        "dataset_id": "d1",
        "network": {
            "layers": [
                {"type": "dense", "units": 64, "activation": "tanh"},
                {"type": "dropout", "rate": 0.1},
                {"type": "dense", "units": 32, "activation": "tanh"},
                {"type": "dropout", "rate": 0.1},
                {"type": "dense", "units": 3, "activation": "softmax"},
            ]
        },
        # text that is not a number goes as it is, for the server's 422 to name
        "training": {
            "epochs": "abc",
            "batch_size": 16,
            "optimizer": {"type": "sgd", "learning_rate": 0.01},
            "validation_split": 0.2,
        },
    }
    assert got["fields"] == [
        "hidden", "activation", "dropout", None, "epochs", "learning_rate", "dataset",
        "patience", None,
    ]  # fmt: skip
