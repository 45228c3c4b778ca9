"""A model trained on a table with categories and gaps exports one input per column (string
tensors for categorical ones, encoded with ai.onnx.ml inside the graph) and agrees with
predict on the same records: gaps, the missing level and unseen levels included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import wait_for_job

ort = pytest.importorskip("onnxruntime")

PENGUINS = Path(__file__).resolve().parents[3] / "examples" / "penguins.csv"
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
RECORDS = [
    {"island": "Biscoe", "sex": "male", "bill_length_mm": 47.5, "bill_depth_mm": 15.0,
     "flipper_length_mm": 217, "body_mass_g": 5076},
    {"island": "Dream", "sex": None, "bill_length_mm": 49.0, "bill_depth_mm": None,
     "flipper_length_mm": 196, "body_mass_g": 3730},
    {"island": "Atlantis", "sex": "female", "bill_length_mm": 38.8, "bill_depth_mm": 18.3,
     "flipper_length_mm": 190, "body_mass_g": None},
]  # fmt: skip


def feeds(records: list[dict]) -> dict[str, np.ndarray]:
    """Records as the export's inputs: (n, 1) float32 with NaN gaps, (n, 1) strings with ""."""
    out = {}
    for name in ["island", "sex", *NUMERIC]:
        values = [r[name] for r in records]
        if name in NUMERIC:
            col = [np.nan if v is None else v for v in values]
            out[name] = np.array(col, dtype=np.float32).reshape(-1, 1)
        else:
            out[name] = np.array(["" if v is None else v for v in values], dtype=object).reshape(
                -1, 1
            )
    return out


def test_penguins_export_takes_records_like_predict(app_client):
    r = app_client.post(
        "/v1/datasets",
        files={"file": ("p.csv", PENGUINS.read_bytes())},
        data={"target": "species", "ignore": "id", "impute": "mean"},
    )
    assert r.status_code == 201, r.text
    body = {
        "dataset_id": r.json()["id"],
        "network": {
            "layers": [
                {"type": "dense", "units": 8, "activation": "tanh"},
                {"type": "dense", "units": 3, "activation": "softmax"},
            ]
        },
        "training": {"epochs": 10, "seed": 1},
    }
    job = wait_for_job(app_client, app_client.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "succeeded", job
    model_id = job["model_id"]
    served = app_client.post(f"/v1/models/{model_id}/predict", json={"instances": RECORDS})
    assert served.status_code == 200, served.text
    exported = app_client.get(f"/v1/models/{model_id}/export?format=onnx")
    assert exported.status_code == 200
    session = ort.InferenceSession(exported.content)
    assert {i.name for i in session.get_inputs()} == {"island", "sex", *NUMERIC}
    kinds = {i.name: i.type for i in session.get_inputs()}
    assert kinds["island"] == "tensor(string)" and kinds["bill_length_mm"] == "tensor(float)"
    probabilities, predictions = session.run(["probabilities", "predictions"], feeds(RECORDS))
    np.testing.assert_allclose(probabilities, served.json()["probabilities"], atol=1e-5)
    assert list(predictions) == served.json()["predictions"]
    assert served.json()["warnings"] == [{"row": 2, "column": "island", "value": "Atlantis"}]
