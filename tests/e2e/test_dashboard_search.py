"""The search page in headless Chromium against a real `backprop up` with two embedded
workers: trials table (sortable), every trial's curve overlaid as it grows, the objective
against each parameter; screenshots at 1400x900 and 1000x800.

Set BACKPROP_DASHBOARD_SHOTS=dir to keep the screenshots."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from browser import chromium, open_page, shoot_sizes, start_service, wait_until

pytestmark = pytest.mark.e2e

SEARCH = {
    "network": {
        "layers": [
            {"type": "dense", "units": 32, "activation": "relu"},
            {"type": "dense", "units": 32, "activation": "relu"},
            {"type": "dense", "units": 3, "activation": "softmax"},
        ]
    },
    "training": {"epochs": 40, "batch_size": 16, "validation_split": 0.2, "seed": 0},
    "space": {
        "training.optimizer.learning_rate": {"loguniform": [1e-4, 3e-2]},
        "network.layers[1].units": {"choice": [16, 64, 128]},
    },
    "strategy": {"type": "random", "max_trials": 6, "parallelism": 2, "seed": 2},
}


def dataset(rows: int = 3000, features: int = 20) -> bytes:
    """NPZ of a 3-class problem big enough that a trial's epochs arrive over seconds."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(rows, features)).astype(np.float32)
    buf = io.BytesIO()
    np.savez(buf, X=X, y=(X @ rng.normal(size=(features, 3))).argmax(axis=1))
    return buf.getvalue()


def column(page, index: int) -> list[str]:  # noqa: ANN001
    return page.eval_on_selector_all(
        f"#trials-table tbody tr td:nth-child({index + 1})", "tds => tds.map(td => td.innerText)"
    )


def test_search_page_grows_sorts_and_plots(processes, tmp_path):
    processes.env["BACKPROP_EMBEDDED_WORKERS"] = "2"
    base, key = start_service(processes, tmp_path)
    shots = tmp_path / "shots"
    shots.mkdir()
    with (
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c,
        chromium() as browser,
    ):
        r = c.post("/v1/datasets", files={"file": ("d.npz", dataset())})
        r = c.post("/v1/searches", json={"dataset_id": r.json()["id"], **SEARCH})
        assert r.status_code == 202, r.text
        search_id = r.json()["id"]
        page, errors = open_page(browser, base, key)
        page.click("nav a[data-nav='searches']")
        page.wait_for_selector(f"#searches-table tr[data-search-id='{search_id}']")
        page.click(f"#searches-table tr[data-search-id='{search_id}'] a")
        page.wait_for_selector("#trials-table")

        def points(trial: int | None = None) -> int:
            sel = ".search-curves polyline" + ("" if trial is None else f"[data-trial='{trial}']")
            return sum(page.eval_on_selector_all(sel, "ps => ps.map(p => +p.dataset.count)"))

        # the running trials' curves grow on the page while they train
        wait_until(lambda: points() >= 2, 120, "the first curves")
        seen = points()
        wait_until(lambda: points() > seen, 120, "the curves to grow")
        assert c.get(f"/v1/searches/{search_id}").json()["status"] == "running"
        shoot_sizes(page, shots, "search-running")

        wait_until(
            lambda: page.query_selector("#search-facts [data-status='succeeded']"), 300, "the end"
        )
        trials = c.get(f"/v1/searches/{search_id}/trials").json()["trials"]
        wait_until(
            lambda: all(points(t["trial"]) == t["epochs_run"] for t in trials), 30, "all curves"
        )
        assert len(page.query_selector_all("#trials-table tbody tr")) == 6
        # sortable: best value first (val_loss ascending) by default, a click reverses it
        by_value = sorted(trials, key=lambda t: (t["value"], t["trial"]))
        assert column(page, 0) == [str(t["trial"]) for t in by_value]
        page.click("#trials-table th[data-sort='2']")
        values = [float(v) for v in column(page, 2)]
        assert values == sorted(values, reverse=True) and len(set(values)) > 1
        page.click("#trials-table th[data-sort='4']")  # the learning rate column
        rates = [t["params"]["training.optimizer.learning_rate"] for t in trials]
        assert column(page, 0) == [
            str(t["trial"])
            for t in sorted(trials, key=lambda t: t["params"]["training.optimizer.learning_rate"])
        ], rates
        best = c.get(f"/v1/searches/{search_id}").json()["best"]
        assert page.get_attribute("#trials-table tr.best", "data-trial") == str(best["trial"])
        assert page.query_selector(f".search-curves polyline.best[data-trial='{best['trial']}']")
        # the objective against each parameter: one point per trial in each chart
        for path in SEARCH["space"]:
            chart = f".search-param[data-path='{path}']"
            assert len(page.query_selector_all(f"{chart} circle.point")) == 6, path
            assert page.query_selector(f"{chart} circle.point.best[data-trial='{best['trial']}']")
        shoot_sizes(page, shots, "search-done")
        assert not errors, errors
