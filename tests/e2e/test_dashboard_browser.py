"""The dashboard in headless Chromium against a real `backprop up`: key, live curve,
cancel, predict.

Uses Debian's /usr/bin/chromium driven by Playwright (never a downloaded browser). Outside CI
the test skips when either is missing; with CI=true it must run.
"""

from __future__ import annotations

import httpx
import pytest
from browser import chromium, open_page, shoot_sizes, start_service, wait_until
from support import WINE_NETWORK, wait_for_job, wine_csv, wine_split

pytestmark = pytest.mark.e2e


def points(page) -> int:  # noqa: ANN001
    return int(page.get_attribute("svg.loss-chart", "data-points") or 0)


def test_dashboard_follows_training_and_predicts(processes, tmp_path):
    base, key = start_service(processes, tmp_path)
    names, X, X_test, y, _, labels = wine_split()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        r = c.post(
            "/v1/datasets",
            files={"file": ("wine.csv", wine_csv(names, X, y), "text/csv")},
            data={"target": "cultivar"},
        )
        assert r.status_code == 201, r.text
        dataset_id = r.json()["id"]
        quick = {"epochs": 30, "batch_size": 16, "validation_split": 0.2, "seed": 0}
        r = c.post(
            "/v1/jobs", json={"dataset_id": dataset_id, "network": WINE_NETWORK, "training": quick}
        )
        model_id = wait_for_job(c, r.json()["id"])["model_id"]
        slow = {"epochs": 3000, "batch_size": 1, "validation_split": 0.2, "seed": 1}
        r = c.post(
            "/v1/jobs", json={"dataset_id": dataset_id, "network": WINE_NETWORK, "training": slow}
        )
        slow_id = r.json()["id"]

        with chromium() as browser:
            page, errors = open_page(browser, base, key)
            page.wait_for_selector(f"#jobs-table tr[data-job-id='{slow_id}']")
            assert page.evaluate("sessionStorage.getItem('backprop.apiKey')") == key
            page.click(f"#jobs-table tr[data-job-id='{slow_id}'] a")

            page.wait_for_selector("#job-detail .badge[data-status='running']", timeout=60_000)
            wait_until(lambda: points(page) >= 2, 60, "the first epochs on the curve")
            first = points(page)
            page.wait_for_selector("svg.loss-chart polyline.curve.train")
            page.wait_for_selector("svg.loss-chart polyline.curve.val")
            wait_until(lambda: points(page) > first, 60, "more epochs on the curve")
            # the x-axis runs to the last epoch shown, not to the 3000 planned
            x_max = int(page.get_attribute("svg.loss-chart", "data-x-max") or 0)
            assert 2 <= x_max < 3000
            assert " of 3,000" in page.inner_text("#job-detail .progress")
            assert "Latest epoch" in page.inner_text("#job-results")
            assert c.get(f"/v1/jobs/{slow_id}").json()["status"] == "running"
            shoot_sizes(page, tmp_path, "job-running")

            page.click("#job-detail button:has-text('Cancel')")
            page.wait_for_selector("#job-detail .badge[data-status='cancelled']", timeout=60_000)
            page.click("nav a[data-nav='jobs']")
            row = page.locator(f"#jobs-table tr[data-job-id='{slow_id}'] .badge")
            wait_until(lambda: row.inner_text() == "cancelled", 10, "the list to update")

            c.post("/v1/registry/wine/versions", json={"model_id": model_id})
            c.put("/v1/registry/wine/aliases/production", json={"version": 1})
            page.goto(f"{base}/#/models/{model_id}")
            page.wait_for_selector("#layers-table tbody tr")
            assert page.locator("#layers-table tbody tr").count() == len(WINE_NETWORK["layers"])
            metrics = page.inner_text("#model-metrics")
            assert "validation accuracy" in metrics and "val_accuracy" not in metrics
            assert "wine@production" in page.inner_text("#model-registry")
            lineage = page.inner_text("#model-lineage")
            assert "data SHA-256" in lineage and "attempts" in lineage
            for i, value in enumerate(X_test[0]):
                page.fill(f"#predict-form input[name=f{i}]", repr(float(value)))
            page.click("#predict-form button[type=submit]")
            label = page.wait_for_selector("#prediction-result .prediction").inner_text()
            assert label in labels
            assert not errors, errors
