"""The dashboard as a workbench in headless Chromium against a real `backprop up`: upload a
data set, train from the form (its 422s next to the fields) and from the JSON editor, read
the finished job, delete a model, a job and the data set; every page screenshotted at
1400x900 and 1000x800 without sideways scrolling.

Set BACKPROP_DASHBOARD_SHOTS=dir to keep the screenshots."""

from __future__ import annotations

import json
import math
from pathlib import Path

import httpx
import pytest
from browser import chromium, open_page, shoot_sizes, start_service, wait_until
from support import wine_csv, wine_split

pytestmark = pytest.mark.e2e


def with_gap(csv: bytes) -> bytes:
    """The CSV with its first data row's first cell emptied (refused without impute)."""
    lines = csv.decode().split("\n")
    lines[1] = "," + lines[1].split(",", 1)[1]
    return "\n".join(lines).encode()


def round_ticks(labels: list[str]) -> bool:
    """True when the axis labels are evenly spaced multiples of 1, 2 or 5 x 10^k."""
    values = [float(v.replace(",", "")) for v in labels]
    steps = {round(b - a, 12) for a, b in zip(values, values[1:], strict=False)}
    if len(values) < 2 or len(steps) != 1:
        return False
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    on_grid = all(abs(v / step - round(v / step)) < 1e-6 for v in values)
    return on_grid and any(abs(mantissa - m) < 1e-6 for m in (1, 2, 5))


def choose_csv(page, path: Path, target: str) -> None:  # noqa: ANN001
    """Pick the file in the upload form, then its label column from the offered header."""
    page.set_input_files("#upload-form input[name=file]", str(path))
    page.wait_for_selector(
        f"#upload-form select[name=target] option[value='{target}']", state="attached"
    )
    page.select_option("#upload-form select[name=target]", target)


def error_for(page, form: str, field: str) -> str:  # noqa: ANN001
    return page.inner_text(f"{form} [data-error-for='{field}']")


def test_upload_train_inspect_and_delete_from_the_page(processes, tmp_path):
    base, key = start_service(processes, tmp_path)
    names, X, _, y, _, labels = wine_split()
    upload = tmp_path / "wine-gaps.csv"
    upload.write_bytes(with_gap(wine_csv(names, X, y)))
    shots = tmp_path / "shots"
    shots.mkdir()
    with (
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c,
        chromium() as browser,
    ):
        page, errors = open_page(browser, base, key)
        shoot_sizes(page, shots, "jobs-empty")

        # upload: the label column is offered from the file's header; a gap needs impute
        page.click("nav a[data-nav='datasets']")
        choose_csv(page, upload, "cultivar")
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#upload-form [data-error-for='impute'] .message")
        assert "empty cell" in error_for(page, "#upload-form", "impute")
        assert c.get("/v1/datasets").json()["total"] == 0
        page.select_option("#upload-form select[name=impute]", "mean")
        page.fill("#upload-form input[name=ignore]", "proline")
        page.fill("#upload-form input[name=name]", "wine")
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#dataset-facts")
        dataset = c.get("/v1/datasets").json()["items"][0]
        assert page.url.endswith(f"#/datasets/{dataset['id']}")
        summary = page.inner_text("#dataset-facts")
        assert "classification" in summary and str(dataset["rows"]) in summary
        assert "filled with the mean" in summary
        columns = page.locator("#columns-table tbody tr")
        assert columns.count() == len(names) - 1 == dataset["features"]
        assert "proline" not in page.inner_text("#columns-table")
        assert columns.first.locator("td").nth(3).inner_text() == "1"  # the emptied cell
        assert all(label in summary for label in labels)
        shoot_sizes(page, shots, "dataset")
        page.click("nav a[data-nav='datasets']")
        page.wait_for_selector(f"#datasets-table tr[data-dataset-id='{dataset['id']}']")
        shoot_sizes(page, shots, "datasets")

        # the form: the server's 422s appear next to the fields they name
        page.goto(f"{base}/#/datasets/{dataset['id']}")
        page.click("#train-on")
        page.wait_for_selector("#job-form")
        assert page.input_value("#job-dataset-select") == dataset["id"]
        assert "dense 3 softmax" in page.inner_text("#output-layer")
        shoot_sizes(page, shots, "new-job")
        page.fill("#job-form input[name=epochs]", "0")
        page.fill("#job-form input[name=hidden]", "16, lots")
        page.click("#job-form button[type=submit]")
        page.wait_for_selector("#job-form [data-error-for='epochs'] .message")
        assert "greater than or equal to 1" in error_for(page, "#job-form", "epochs")
        assert "valid integer" in error_for(page, "#job-form", "hidden")
        shoot_sizes(page, shots, "new-job-errors")
        assert c.get("/v1/jobs").json()["total"] == 0
        for name, value in (("hidden", "16"), ("epochs", "300"), ("learning_rate", "0.05"),
                            ("patience", "3"), ("batch_size", "16")):  # fmt: skip
            page.fill(f"#job-form input[name={name}]", value)
        page.click("#job-form button[type=submit]")
        page.wait_for_selector("#job-detail .badge[data-status='succeeded']", timeout=120_000)
        job = c.get("/v1/jobs").json()["items"][0]
        assert page.url.endswith(f"#/jobs/{job['id']}")
        assert [layer["units"] for layer in job["network"]["layers"]] == [16, 3]

        # the finished job: stopped early, the axis to the last epoch, the kept epoch marked
        metrics = job["metrics"]
        run = metrics["epochs_run"]
        assert run < 300, "early stopping should end this job before 300 epochs"
        assert page.inner_text("#job-detail .progress") == f"stopped early at {run} of 300"
        wait_until(lambda: page.locator("svg.loss-chart g.kept").count() == 1, 10, "the marker")
        assert page.get_attribute("svg.loss-chart", "data-x-max") == str(run)
        assert page.get_attribute("svg.loss-chart g.kept", "data-epoch") == str(metrics["epoch"])
        assert round_ticks(page.locator("svg.loss-chart text.tick.y").all_text_contents())
        assert round_ticks(page.locator("svg.loss-chart text.tick.x").all_text_contents())
        results = page.inner_text("#job-metrics")
        assert "validation accuracy" in results and "val_accuracy" not in results
        assert "wine" in page.inner_text("#job-dataset-facts")
        assert page.locator("#network-table tbody tr").count() == 2
        shoot_sizes(page, shots, "job")

        # the JSON editor: the whole body, its 422s with their paths
        page.click("nav a[data-nav='new']")
        page.click("#edit-json")
        body = json.loads(page.input_value("#job-json"))
        assert body["dataset_id"] == dataset["id"]
        body["network"]["layers"][0]["units"] = -1
        page.fill("#job-json", json.dumps(body, indent=2))
        page.click("#job-json-form button[type=submit]")
        page.wait_for_selector("#job-json-form [data-error-for='body'] .message")
        assert "network.layers[0].units" in error_for(page, "#job-json-form", "body")
        shoot_sizes(page, shots, "new-job-json")
        body["network"]["layers"] = [
            {"type": "dense", "units": 8, "activation": "tanh"},
            {"type": "dropout", "rate": 0.1},
            {"type": "dense", "units": 3, "activation": "softmax"},
        ]
        body["training"].update(epochs=5, early_stopping=None)
        page.fill("#job-json", json.dumps(body, indent=2))
        page.click("#job-json-form button[type=submit]")
        page.wait_for_selector("#job-detail .badge[data-status='succeeded']", timeout=120_000)
        second = c.get("/v1/jobs").json()["items"][0]
        assert second["id"] != job["id"] and second["network"]["layers"][1]["type"] == "dropout"

        page.click("nav a[data-nav='jobs']")
        page.wait_for_selector(f"#jobs-table tr[data-job-id='{second['id']}']")
        row = page.inner_text(f"#jobs-table tr[data-job-id='{job['id']}']")
        assert "wine" in row and "today" in row
        shoot_sizes(page, shots, "jobs")
        page.click("nav a[data-nav='models']")
        page.wait_for_selector("#models-table tbody tr")
        shoot_sizes(page, shots, "models")

        # deleting: a model, a job (when the server has DELETE /v1/jobs/{id}), the data set
        page.goto(f"{base}/#/models/{job['model_id']}")
        page.wait_for_selector("#model-metrics")
        shoot_sizes(page, shots, "model")
        page.click("#model-detail button:has-text('Delete model')")
        page.click("#model-detail [data-confirm=yes]")
        page.wait_for_selector("#models-table")
        assert c.get(f"/v1/models/{job['model_id']}").status_code == 404
        routes = c.get("/openapi.json").json()["paths"].get("/v1/jobs/{job_id}", {})
        if "delete" in routes:
            page.goto(f"{base}/#/jobs/{second['id']}")
            page.click("#job-detail button:has-text('Delete job')")
            page.check("#delete-model")
            page.click("#job-detail [data-confirm=yes]")
            page.wait_for_selector("#jobs-table")
            assert c.get(f"/v1/jobs/{second['id']}").status_code == 404
            assert c.get(f"/v1/models/{second['model_id']}").status_code == 404
        page.goto(f"{base}/#/datasets/{dataset['id']}")
        page.click("#dataset-detail button:has-text('Delete')")
        page.click("#dataset-detail [data-confirm=yes]")
        page.wait_for_selector("#datasets-table")
        assert c.get(f"/v1/datasets/{dataset['id']}").status_code == 404
        page.goto(f"{base}/#/jobs/{job['id']}")
        page.wait_for_selector("#job-dataset >> text=has been deleted")
        assert not errors, errors
    assert len(list(shots.glob("*.png"))) == 2 * 10
