"""The bad-input corpus for the routes that take a stored model and a data set (evaluate,
batch scoring): every bad request is a clear 4xx, and nothing is stored or queued."""

from __future__ import annotations

from sqlalchemy import func, select
from support import GOOD_CSV, assert_problem, csv_bytes

from service.db.models import Job
from service.db.session import session_scope


def test_evaluate_bad_requests_are_4xx_and_change_nothing(app_client, other_client, stored):
    ds, model = stored["dataset"], stored["model"]
    url = f"/v1/models/{model}/evaluate"
    theirs = other_client.post(
        "/v1/datasets", files={"file": ("d.csv", GOOD_CSV)}, data={"target": "t"}
    ).json()["id"]
    lacking = app_client.post(
        "/v1/datasets", files={"file": ("d.csv", GOOD_CSV)}, data={"target": "t", "ignore": "b"}
    ).json()["id"]
    regression = csv_bytes(["a", "b", "t"], [[i, i % 5, i * 0.37] for i in range(40)])
    numbers = app_client.post(
        "/v1/datasets", files={"file": ("r.csv", regression)}, data={"target": "t"}
    ).json()["id"]
    bodies = [
        ({}, 422),
        ({"dataset_id": ""}, 422),
        ({"dataset_id": 7}, 422),
        ({"dataset_id": ds, "importance": "yes"}, 422),
        ({"dataset_id": ds, "seed": -1}, 422),
        ({"dataset_id": ds, "model_id": model}, 422),
        ({"dataset_id": "x" * 65}, 422),
        ({"dataset_id": "no-such-dataset"}, 404),
        ({"dataset_id": "a\u0000b"}, 404),
        ({"dataset_id": theirs}, 404),  # another tenant's data set
        ({"dataset_id": lacking}, 422),
        ({"dataset_id": numbers}, 422),
    ]
    for body, status in bodies:
        assert_problem(app_client.post(url, json=body), status)
    assert "no column 'b'" in app_client.post(url, json={"dataset_id": lacking}).text
    assert_problem(
        app_client.post("/v1/models/no-such-model/evaluate", json={"dataset_id": ds}), 404
    )
    assert_problem(
        app_client.post(url, content=b"{", headers={"content-type": "application/json"}), 400, 422
    )

    r = app_client.post(url, json={"dataset_id": ds})
    assert r.status_code == 200 and r.json()["rows"] == 40, r.text
    assert app_client.get("/v1/datasets").json()["total"] == 3
    assert app_client.get("/v1/models").json()["total"] == 1


def test_batch_scoring_bad_requests_are_4xx_and_queue_nothing(app_client, stored):
    ds, model = stored["dataset"], stored["model"]
    url = f"/v1/models/{model}/predictions"
    other = app_client.post(
        "/v1/datasets",
        files={
            "file": ("o.csv", csv_bytes(["x", "b", "t"], [[i, i % 3, i % 2] for i in range(9)]))
        },
        data={"target": "t"},
    ).json()["id"]
    bodies = [
        ({"dataset_id": other}, 422, "no column 'a'"),  # checked before queueing
        ({"dataset_id": "no-such-dataset"}, 404, "dataset"),
        ({"dataset_id": "a\u0000b"}, 422, "dataset_id"),
        ({"dataset_id": ds, "model_id": model}, 422, "model_id"),
        ({"dataset_id": 7}, 422, "dataset_id"),
        ({}, 422, "dataset_id"),
        ([], 422, ""),
        ("just a string", 422, ""),
    ]
    for body, status, where in bodies:
        r = app_client.post(url, json=body)
        assert_problem(r, status)
        assert where in r.json()["detail"], r.text
    assert_problem(
        app_client.post("/v1/models/no-such-model/predictions", json={"dataset_id": ds}), 404
    )
    for path in (f"{url}/a%00b", f"{url}/no-such-run/download", f"{url}/{'x' * 5000}/cancel"):
        assert_problem(app_client.request("GET" if "cancel" not in path else "POST", path), 404)
    job = app_client.get("/v1/jobs").json()["items"][0]["id"]  # a training job is no run
    assert_problem(app_client.get(f"{url}/{job}/download"), 404)
    assert_problem(app_client.delete(f"{url}/{job}"), 404)
    assert_problem(app_client.delete(f"{url}/a%00b"), 404)
    # nothing was queued: the only jobs are the training job of `stored`
    with session_scope(app_client.app_settings.sqlalchemy_url) as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 1
