"""POST /v1/models/{id}/evaluate over HTTP: the penguins example scored on itself and on a
data set with other levels agrees with the predict route row by row; what does not fit is
a 422 naming it."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from api.test_tabular_data import EXAMPLE, NETWORK, TRAINING
from support import wait_for_job

NUMBERS = ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g")


def penguin_rows() -> list[dict[str, str]]:
    with EXAMPLE.open(newline="") as f:
        return list(csv.DictReader(f))


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(client, rows: list[dict[str, str]], target: str = "species", **fields: str) -> dict:
    r = client.post(
        "/v1/datasets",
        files={"file": ("p.csv", as_csv(rows))},
        data={"target": target, "ignore": "id", "impute": "mean", **fields},
    )
    assert r.status_code == 201, r.text
    return r.json()


def record(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as predict's named record (empty cells are gaps)."""
    out: dict[str, Any] = {}
    for key in ("island", "sex", *NUMBERS):
        cell = row[key]
        out[key] = None if cell == "" else (float(cell) if key in NUMBERS else cell)
    return out


@pytest.fixture
def penguins_model(app_client) -> tuple[str, str]:
    dataset = upload(app_client, penguin_rows())
    body = {"dataset_id": dataset["id"], "network": NETWORK, "training": TRAINING}
    job = wait_for_job(app_client, app_client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job
    return job["model_id"], dataset["id"]


def agrees_with_predict(client, model_id: str, rows: list[dict[str, str]], out: dict) -> None:
    """evaluate's accuracy and confusion matrix are those of predict's labels, row by row."""
    r = client.post(f"/v1/models/{model_id}/predict", json={"instances": [record(r) for r in rows]})
    assert r.status_code == 200, r.text
    labels = out["metrics"]["confusion_matrix"]["labels"]
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for row, predicted in zip(rows, r.json()["predictions"], strict=True):
        matrix[labels.index(row["species"]), labels.index(predicted)] += 1
    assert out["rows"] == len(rows)
    assert out["metrics"]["confusion_matrix"]["matrix"] == matrix.tolist()
    assert out["metrics"]["accuracy"] == pytest.approx(np.trace(matrix) / len(rows))


def test_penguins_evaluate_agrees_with_predict_row_by_row(app_client, penguins_model):
    model_id, dataset_id = penguins_model
    r = app_client.post(f"/v1/models/{model_id}/evaluate", json={"dataset_id": dataset_id})
    assert r.status_code == 200, r.text
    out = r.json()
    metrics = out["metrics"]
    assert out["task"] == "classification" and metrics["accuracy"] >= 0.9
    assert metrics["confusion_matrix"]["labels"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert 0.9 <= metrics["roc_auc"] <= 1.0 and 0 < metrics["log_loss"] < 1
    assert sum(c["support"] for c in metrics["per_class"].values()) == 240
    assert set(metrics["roc_curve"]["curves"]) == {"Adelie", "Chinstrap", "Gentoo"}
    agrees_with_predict(app_client, model_id, penguin_rows(), out)

    validation = app_client.get(f"/v1/models/{model_id}").json()["metrics"]["validation"]
    assert validation["rows"] == 60
    assert sum(map(sum, validation["confusion_matrix"]["matrix"])) == 60
    assert validation["accuracy"] == pytest.approx(
        app_client.get(f"/v1/models/{model_id}").json()["metrics"]["val_accuracy"]
    )


def test_other_levels_are_recoded_by_name_and_unseen_ones_warned(app_client, penguins_model):
    model_id, _ = penguins_model
    rows = [r for r in penguin_rows() if r["island"] != "Biscoe"]  # levels Dream, Torgersen
    rows = [dict(r, sex=r["sex"] or "female") for r in rows]  # no missing level here
    columns = {c["name"]: c for c in upload(app_client, rows)["columns"]}
    assert columns["island"]["levels"] == ["Dream", "Torgersen"]
    reordered = [
        {k: r[k] for k in ("sex", "body_mass_g", "species", *NUMBERS[:3], "island", "id")}
        for r in rows
    ]  # columns in another order too
    dataset = upload(app_client, reordered)
    r = app_client.post(f"/v1/models/{model_id}/evaluate", json={"dataset_id": dataset["id"]})
    assert r.status_code == 200, r.text
    assert "warnings" not in r.json()
    agrees_with_predict(app_client, model_id, rows, r.json())

    atlantis = [dict(r, island="Atlantis") for r in rows[:5]] + rows[5:20]
    dataset = upload(app_client, atlantis)
    r = app_client.post(f"/v1/models/{model_id}/evaluate", json={"dataset_id": dataset["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["warnings"] == [{"column": "island", "value": "Atlantis", "rows": 5}]


def test_what_does_not_fit_is_a_422_naming_it(app_client, penguins_model):
    model_id, _ = penguins_model
    rows = penguin_rows()
    weighed = [r for r in rows if r["body_mass_g"]]
    cases = [
        (upload(app_client, rows, ignore="id,sex"), "no column 'sex'"),
        (
            upload(
                app_client, [dict(r, species="Emperor") if i < 7 else r for i, r in enumerate(rows)]
            ),
            "'Emperor' (7 rows)",
        ),
        (upload(app_client, weighed, target="body_mass_g", task="regression"), "regression"),
    ]
    for dataset, words in cases:
        r = app_client.post(f"/v1/models/{model_id}/evaluate", json={"dataset_id": dataset["id"]})
        assert r.status_code == 422 and words in r.json()["detail"], r.text
    r = app_client.post(f"/v1/models/{model_id}/evaluate", json={"dataset_id": "nope"})
    assert r.status_code == 404


def test_regression_metrics_agree_with_predict(app_client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + 10 + rng.normal(0, 0.1, 200)
    text = "a,b,c,y\n" + "".join(f"{a},{b},{c},{t}\n" for (a, b, c), t in zip(X, y, strict=True))
    r = app_client.post(
        "/v1/datasets", files={"file": ("r.csv", text.encode())}, data={"target": "y"}
    )
    assert r.status_code == 201 and r.json()["task"] == "regression", r.text
    body = {
        "dataset_id": r.json()["id"],
        "network": {"layers": [{"type": "dense", "units": 1}]},
        "training": {
            "epochs": 30,
            "batch_size": 16,
            "seed": 0,
            "optimizer": {"type": "adam", "learning_rate": 0.05},
        },
    }
    job = wait_for_job(app_client, app_client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job
    out = app_client.post(
        f"/v1/models/{job['model_id']}/evaluate", json={"dataset_id": body["dataset_id"]}
    ).json()
    predicted = app_client.post(
        f"/v1/models/{job['model_id']}/predict", json={"instances": X.tolist()}
    ).json()["predictions"]
    err = np.asarray(predicted) - y.astype(np.float32)
    assert out["metrics"]["mae"] == pytest.approx(np.abs(err).mean(), rel=1e-3)
    assert out["metrics"]["rmse"] == pytest.approx(np.sqrt((err**2).mean()), rel=1e-3)
    assert out["metrics"]["r2"] > 0.95
    assert set(app_client.get(f"/v1/models/{job['model_id']}").json()["metrics"]["validation"]) >= {
        "mae",
        "rmse",
        "r2",
        "rows",
    }


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_numeric_only_npz_data_sets_must_match_the_input_shape(app_client):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    r = app_client.post("/v1/datasets", files={"file": ("d.npz", npz_bytes(X=X, y=y))})
    assert r.status_code == 201, r.text
    body = {
        "dataset_id": r.json()["id"],
        "network": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
        "training": {"epochs": 20, "batch_size": 16, "seed": 0},
    }
    job = wait_for_job(app_client, app_client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job
    url = f"/v1/models/{job['model_id']}/evaluate"
    out = app_client.post(url, json={"dataset_id": body["dataset_id"]}).json()
    predicted = app_client.post(
        f"/v1/models/{job['model_id']}/predict", json={"instances": X.tolist()}
    ).json()["predictions"]
    assert out["metrics"]["accuracy"] == pytest.approx(np.mean(np.asarray(predicted) == y))
    wide = app_client.post(
        "/v1/datasets", files={"file": ("w.npz", npz_bytes(X=X[:, [0, 1, 2, 2]], y=y))}
    )
    r = app_client.post(url, json={"dataset_id": wide.json()["id"]})
    assert r.status_code == 422 and "shape [4]" in r.json()["detail"], r.text
