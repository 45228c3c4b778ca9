"""The model page in headless Chromium: the validation split's confusion heatmap and ROC
curves, and evaluating on a data set with permutation importance as bars."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from browser import chromium, open_page, shoot_sizes, start_service
from support import wait_for_job

pytestmark = pytest.mark.e2e
PENGUINS = Path(__file__).resolve().parents[2] / "examples" / "penguins.csv"
TRAINING = {
    "epochs": 30,
    "batch_size": 16,
    "validation_split": 0.25,
    "seed": 0,
    "optimizer": {"type": "adam", "learning_rate": 0.02},
}


def train(c: httpx.Client, data: bytes, target: str, units: int, **fields: str) -> tuple[str, str]:
    r = c.post("/v1/datasets", files={"file": ("t.csv", data)}, data={"target": target, **fields})
    assert r.status_code == 201, r.text
    network = {
        "layers": [
            {"type": "dense", "units": 16, "activation": "relu"},
            {"type": "dense", "units": units, "activation": "softmax"},
        ]
    }
    body = {"dataset_id": r.json()["id"], "network": network, "training": TRAINING}
    job = wait_for_job(c, c.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job
    return job["model_id"], r.json()["id"]


def test_model_page_shows_heatmap_roc_and_importance(processes, tmp_path):
    base, key = start_service(processes, tmp_path)
    binary = "a,b,label\n" + "".join(
        f"{i % 17},{(i * 7) % 11},{'yes' if i % 17 > 8 else 'no'}\n" for i in range(200)
    )
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as c:
        model_id, dataset_id = train(
            c, PENGUINS.read_bytes(), "species", 3, ignore="id", impute="mean"
        )
        binary_id, _ = train(c, binary.encode(), "label", 2)
        validation = c.get(f"/v1/models/{model_id}").json()["metrics"]["validation"]

    with chromium() as browser:
        page, errors = open_page(browser, base, key)
        page.goto(f"{base}/#/models/{model_id}")
        page.wait_for_selector("#validation #confusion-matrix")
        cells = page.locator("#validation #confusion-matrix td")
        assert cells.count() == 9
        counts = [int(cells.nth(i).get_attribute("data-count")) for i in range(9)]
        assert counts == [n for row in validation["confusion_matrix"]["matrix"] for n in row]
        first = page.locator(
            "#validation #confusion-matrix td[data-true='Adelie'][data-predicted='Adelie']"
        )
        assert first.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
        assert page.get_attribute("#validation #roc-chart", "data-curves") == "3"
        assert page.locator("#validation #roc-chart polyline.roc").count() == 3
        assert "{" not in page.inner_text("#model-metrics")  # no raw validation object

        page.wait_for_selector(
            f"#evaluate-form select option[value='{dataset_id}']", state="attached"
        )
        page.select_option("#evaluate-form select", dataset_id)
        page.check("#evaluate-form input[name=importance]")
        page.click("#evaluate-form button[type=submit]")
        page.wait_for_selector("#evaluation-result #importance-chart", timeout=60_000)
        assert page.get_attribute("#importance-chart", "data-bars") == "6"
        bars = page.locator("#importance-chart rect[data-column]")
        values = [float(bars.nth(i).get_attribute("data-importance")) for i in range(6)]
        assert values == sorted(values, reverse=True) and values[0] > 0
        assert float(bars.nth(0).get_attribute("width")) > 0
        shown = page.locator("#evaluation-result #confusion-matrix td")
        assert sum(int(shown.nth(i).get_attribute("data-count")) for i in range(9)) == 240
        assert "240" in page.inner_text("#evaluation-facts")
        shoot_sizes(page, tmp_path, "model-evaluation")  # also: nothing scrolls sideways

        page.goto(f"{base}/#/models/{binary_id}")
        page.wait_for_selector("#validation #roc-chart")
        assert page.get_attribute("#validation #roc-chart", "data-curves") == "1"
        label = page.get_attribute("#validation #roc-chart polyline.roc", "data-label")
        assert label == "yes (positive)"
        assert page.locator("#validation #confusion-matrix td").count() == 4
        assert not errors, errors
