"""As good as the peer: the penguins-like table (string levels, gaps, an id column) trained
over HTTP scores within a stated tolerance of scikit-learn's SimpleImputer + OneHotEncoder
+ MLPClassifier pipeline on the same train/test split."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from support import wait_for_job

pytest.importorskip("sklearn")

from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "penguins.csv"
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORICAL = ["island", "sex"]
TOLERANCE = 0.05
"""Our test accuracy may trail scikit-learn's by at most this much (same split, same width)."""


def read_rows() -> tuple[list[str], list[dict[str, str]]]:
    with EXAMPLE.open(newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def to_csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def sklearn_accuracy(train: list[dict[str, str]], test: list[dict[str, str]]) -> float:
    def table(rows):
        num = [[float(r[c]) if r[c] else float("nan") for c in NUMERIC] for r in rows]
        cat = [[r[c] or "missing" for c in CATEGORICAL] for r in rows]
        return [n + c for n, c in zip(num, cat, strict=True)]

    columns = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), [0, 1, 2, 3]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), [4, 5]),
        ]
    )
    model = make_pipeline(
        columns, MLPClassifier(hidden_layer_sizes=(16,), max_iter=400, random_state=0)
    )
    model.fit(table(train), [r["species"] for r in train])
    predicted = model.predict(table(test))
    return sum(p == r["species"] for p, r in zip(predicted, test, strict=True)) / len(test)


def test_penguins_mlp_matches_sklearn_pipeline(app_client):
    header, rows = read_rows()
    train, test = train_test_split(
        rows, test_size=0.3, random_state=0, stratify=[r["species"] for r in rows]
    )
    r = app_client.post(
        "/v1/datasets",
        files={"file": ("train.csv", to_csv(header, train))},
        data={"target": "species", "ignore": "id", "impute": "mean"},
    )
    assert r.status_code == 201, r.text
    body = {
        "dataset_id": r.json()["id"],
        "network": {
            "layers": [
                {"type": "dense", "units": 16, "activation": "relu"},
                {"type": "dense", "units": 3, "activation": "softmax"},
            ]
        },
        "training": {
            "optimizer": {"type": "adam", "learning_rate": 0.01},
            "epochs": 60,
            "batch_size": 16,
            "seed": 0,
        },
    }
    job = wait_for_job(app_client, app_client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job
    records = [{k: (v if v != "" else None) for k, v in r.items()} for r in test]
    for record in records:
        for name in NUMERIC:
            if record[name] is not None:
                record[name] = float(record[name])
    r = app_client.post(f"/v1/models/{job['model_id']}/predict", json={"instances": records})
    assert r.status_code == 200, r.text
    predicted = r.json()["predictions"]
    ours = sum(p == t["species"] for p, t in zip(predicted, test, strict=True)) / len(test)
    theirs = sklearn_accuracy(train, test)
    print(f"test accuracy: ours {ours:.3f}, scikit-learn {theirs:.3f}")
    assert ours >= theirs - TOLERANCE, (ours, theirs)
    assert ours >= 0.9, ours
