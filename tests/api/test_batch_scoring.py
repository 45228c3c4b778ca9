"""Batch scoring over HTTP (embedded executor): POST queues a run, GET shows it, the CSV
download holds the data set's columns as uploaded plus the same predictions and class
probabilities that /predict answers for each row."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support import wait_for_job

from service.db.models import ScoreChunk
from service.db.session import session_scope

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SOFTMAX = {
    "layers": [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
}
TRAINING = {"optimizer": {"type": "adam", "learning_rate": 0.02}, "epochs": 8, "seed": 0}


def train(client, file: str, target: str, **fields: str) -> tuple[str, str]:
    data = (EXAMPLES / file).read_bytes()
    r = client.post("/v1/datasets", files={"file": (file, data)}, data={"target": target, **fields})
    assert r.status_code == 201, r.text
    dataset = r.json()["id"]
    r = client.post(
        "/v1/jobs", json={"dataset_id": dataset, "network": SOFTMAX, "training": TRAINING}
    )
    job = wait_for_job(client, r.json()["id"])
    assert job["status"] == "succeeded", job
    return dataset, job["model_id"]


def wait_run(client, location: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(location).json()
        if run["status"] in ("succeeded", "failed", "cancelled"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"scoring run {location} did not end: {run}")


def score(client, model: str, dataset: str) -> tuple[dict, list[dict[str, str]]]:
    r = client.post(f"/v1/models/{model}/predictions", json={"dataset_id": dataset})
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    assert location == f"/v1/models/{model}/predictions/{r.json()['id']}"
    assert r.json()["status"] in ("queued", "running", "succeeded")
    run = wait_run(client, location)
    assert run["status"] == "succeeded", run
    with client.stream("GET", run["download"]) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        text = "".join(response.iter_text())
    return run, list(csv.DictReader(io.StringIO(text)))


def original_rows(file: str, skip: tuple[str, ...] = ()) -> list[dict[str, str]]:
    with (EXAMPLES / file).open() as f:
        return [{k: v for k, v in row.items() if k not in skip} for row in csv.DictReader(f)]


def assert_same_as_predict(client, model: str, rows: list[dict[str, str]], classes: list) -> None:
    """Each CSV row's prediction and p(<class>) equal /predict's for that row's record."""
    names = client.get(f"/v1/models/{model}").json()["input_schema"]["feature_names"]
    records = [{n: _value(row[n]) for n in names} for row in rows]
    answer = client.post(f"/v1/models/{model}/predict", json={"instances": records}).json()
    assert len(answer["predictions"]) == len(rows)
    for i, row in enumerate(rows):
        assert row["prediction"] == str(answer["predictions"][i]), i
        probs = [float(row[f"p({label})"]) for label in classes]
        assert probs == pytest.approx(answer["probabilities"][i], abs=2e-6), i


def _value(text: str) -> float | str | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def test_wine_scores_every_row_like_predict(app_client):
    dataset, model = train(app_client, "wine.csv", "cultivar")
    run, rows = score(app_client, model, dataset)
    assert run["progress"] == {"rows": 178, "total": 178, "fraction": 1.0}
    assert run["model_id"] == model and run["dataset_id"] == dataset and run["warnings"] == []
    classes = app_client.get(f"/v1/models/{model}").json()["classes"]
    original = original_rows("wine.csv")
    assert len(rows) == len(original) == 178
    header = list(rows[0])
    assert header[-4:] == ["prediction", *[f"p({c})" for c in classes]]
    for got, want in zip(rows, original, strict=True):  # numbers as uploaded, in order
        assert {k: float(got[k]) for k in want if k != "cultivar"} == {
            k: pytest.approx(float(v), rel=1e-6) for k, v in want.items() if k != "cultivar"
        }
        assert got["cultivar"] == want["cultivar"]
    assert_same_as_predict(app_client, model, rows, classes)
    assert sum(r["prediction"] == r["cultivar"] for r in rows) > 0.8 * len(rows)

    # a registry reference stands for the model: name@version
    r = app_client.post("/v1/registry/wine/versions", json={"model_id": model})
    assert r.status_code == 201, r.text
    r = app_client.post("/v1/models/wine@1/predictions", json={"dataset_id": dataset})
    assert r.status_code == 202 and r.headers["Location"].startswith(f"/v1/models/{model}/")
    assert app_client.get(f"/v1/models/wine@1/predictions/{r.json()['id']}").status_code == 200


def test_penguins_levels_and_gaps_come_back_as_uploaded(app_client):
    dataset, model = train(app_client, "penguins.csv", "species", ignore="id", impute="mean")
    run, rows = score(app_client, model, dataset)
    assert run["progress"]["rows"] == 240
    original = original_rows("penguins.csv", skip=("id",))
    assert [r["island"] for r in rows] == [r["island"] for r in original]
    assert [r["sex"] for r in rows] == [r["sex"] for r in original]  # gaps stay empty
    assert [r["bill_length_mm"] == "" for r in rows] == [
        r["bill_length_mm"] == "" for r in original
    ]
    assert [r["species"] for r in rows] == [r["species"] for r in original]
    classes = app_client.get(f"/v1/models/{model}").json()["classes"]
    assert_same_as_predict(app_client, model, rows, classes)


def test_a_data_set_the_model_cannot_read_is_422_before_queueing(app_client):
    _, model = train(app_client, "penguins.csv", "species", ignore="id", impute="mean")
    wine = app_client.post(
        "/v1/datasets",
        files={"file": ("wine.csv", (EXAMPLES / "wine.csv").read_bytes())},
        data={"target": "cultivar"},
    ).json()["id"]
    r = app_client.post(f"/v1/models/{model}/predictions", json={"dataset_id": wine})
    assert r.status_code == 422, r.text
    assert "no column 'island'" in r.json()["detail"]
    assert app_client.get("/v1/jobs").json()["total"] == 1  # the training job only


def test_runs_are_not_training_jobs_and_cancel_ends_them(app_client):
    dataset, model = train(app_client, "wine.csv", "cultivar")
    run, _ = score(app_client, model, dataset)
    assert app_client.get("/v1/jobs").json()["total"] == 1
    assert app_client.get(f"/v1/jobs/{run['id']}").status_code == 404
    assert app_client.get(f"/v1/jobs/{run['id']}/events").status_code == 404
    r = app_client.post(f"/v1/models/{model}/predictions/{run['id']}/cancel")
    assert r.status_code == 409 and "already succeeded" in r.json()["detail"]
    job = app_client.get("/v1/jobs").json()["items"][0]["id"]
    assert app_client.get(f"/v1/models/{model}/predictions/{job}").status_code == 404
    assert app_client.delete(f"/v1/models/{model}/predictions/{job}").status_code == 404
    location = f"/v1/models/{model}/predictions/{run['id']}"
    assert app_client.delete(location).status_code == 204
    assert app_client.get(location).status_code == 404
    assert app_client.get(f"{location}/download").status_code == 404
    assert app_client.get(f"/v1/models/{model}").status_code == 200  # the model stays
    with session_scope(app_client.app_settings.sqlalchemy_url) as session:
        assert session.scalar(select(func.count()).select_from(ScoreChunk)) == 0


def test_a_scoring_run_sends_no_job_webhook_events(app_client):
    app_client.app_settings.webhook_allow_private = True  # events go to a closed port
    hook = app_client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["job.*"], "secret": "s" * 16},
    ).json()["id"]
    dataset, model = train(app_client, "wine.csv", "cultivar")
    deliveries = f"/v1/webhooks/{hook}/deliveries"
    before = app_client.get(deliveries).json()["total"]
    assert before >= 3  # the training job's queued, running, succeeded
    score(app_client, model, dataset)  # succeeds although job events are subscribed
    assert app_client.get(deliveries).json()["total"] == before
