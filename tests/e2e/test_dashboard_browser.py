"""The dashboard in headless Chromium against a real `backprop up`: key, live curve, predict.

Uses Debian's /usr/bin/chromium driven by Playwright (never a downloaded browser). Outside CI
the test skips when either is missing; with CI=true it must run.
"""

from __future__ import annotations

import shutil
import time

import httpx
import pytest
from processes import wait_healthy
from support import IN_CI, WINE_NETWORK, free_port, wait_for_job, wine_csv, wine_split

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def require_browser():  # noqa: ANN201
    """Playwright's sync API, or skip (fail in CI) when it or Debian's chromium is missing."""
    missing = []
    if shutil.which(CHROMIUM) is None:
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("playwright (pip install -e '.[dev]')")
        sync_playwright = None
    if missing:
        message = "the dashboard browser test needs " + " and ".join(missing)
        if IN_CI:
            pytest.fail(message + " (CI=true: this test must run)")
        pytest.skip(message)
    return sync_playwright


def points(page) -> int:  # noqa: ANN001
    return int(page.get_attribute("svg.loss-chart", "data-points") or 0)


def wait_until(check, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_dashboard_follows_training_and_predicts(processes, tmp_path):
    sync_playwright = require_browser()
    port = free_port()
    up = processes.start("up", "up", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, up)
    key = (tmp_path / "data" / "api-key.txt").read_text().strip()
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

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(f"{base}/#/jobs/{slow_id}")
                page.fill("#api-key", key)
                page.click("#login-form button[type=submit]")
                page.wait_for_selector(f"#jobs-table tr[data-job-id='{slow_id}']")
                assert page.evaluate("sessionStorage.getItem('backprop.apiKey')") == key

                page.wait_for_selector("#job-detail .badge[data-status='running']", timeout=60_000)
                wait_until(lambda: points(page) >= 2, 60, "the first epochs on the curve")
                first = points(page)
                page.wait_for_selector("svg.loss-chart polyline.curve.train")
                page.wait_for_selector("svg.loss-chart polyline.curve.val")
                wait_until(lambda: points(page) > first, 60, "more epochs on the curve")
                assert c.get(f"/v1/jobs/{slow_id}").json()["status"] == "running"

                page.click("#job-detail button:has-text('Cancel')")
                page.wait_for_selector(
                    "#job-detail .badge[data-status='cancelled']", timeout=60_000
                )
                row = page.locator(f"#jobs-table tr[data-job-id='{slow_id}'] .badge")
                wait_until(lambda: row.inner_text() == "cancelled", 10, "the list to update")

                page.goto(f"{base}/#/models/{model_id}")
                page.wait_for_selector("#layers-table tbody tr")
                assert page.locator("#layers-table tbody tr").count() == len(WINE_NETWORK["layers"])
                assert "accuracy" in page.inner_text("#model-metrics")
                for i, value in enumerate(X_test[0]):
                    page.fill(f"#predict-form input[name=f{i}]", repr(float(value)))
                page.click("#predict-form button[type=submit]")
                label = page.wait_for_selector("#prediction-result .prediction").inner_text()
                assert label in labels
                assert not errors, errors
            finally:
                browser.close()
