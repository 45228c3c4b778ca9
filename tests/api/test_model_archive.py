"""GET /v1/models/{id}/weights works alone: the README's NumPy snippet, run as written on the
wine example's downloaded model, gives the service's predictions."""

from __future__ import annotations

import ast
import io
import json
import re
from pathlib import Path

import numpy as np
from support import csv_bytes, wait_for_job

ROOT = Path(__file__).resolve().parents[2]
ROW = [13.2, 1.78, 2.14, 11.2, 100, 2.65, 2.76, 0.26, 1.28, 4.38, 1.05, 3.4, 1050]


def readme_snippet() -> str:
    """The Python block of the README section 'Using a model with NumPy alone'."""
    section = (ROOT / "README.md").read_text().split("### Using a model with NumPy alone", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def train(client, data: bytes, target: str, spec: dict, **form: str) -> str:
    ds = client.post("/v1/datasets", files={"file": ("d.csv", data)},
                     data={"target": target, **form})  # fmt: skip
    assert ds.status_code == 201, ds.text
    job = client.post("/v1/jobs", json={"dataset_id": ds.json()["id"], **spec})
    assert job.status_code == 202, job.text
    done = wait_for_job(client, job.json()["id"])
    assert done["status"] == "succeeded", done
    return done["model_id"]


def test_the_readme_snippet_predicts_like_the_service(app_client, tmp_path, monkeypatch):
    snippet = readme_snippet()
    imported = {a.name for node in ast.walk(ast.parse(snippet))
                if isinstance(node, ast.Import | ast.ImportFrom)
                for a in getattr(node, "names", [])}  # fmt: skip
    assert imported == {"json", "numpy"}, imported  # NumPy alone
    assert len(snippet.strip().splitlines()) <= 22
    spec = json.loads((ROOT / "examples" / "wine-job.json").read_text())
    model_id = train(app_client, (ROOT / "examples" / "wine.csv").read_bytes(), "cultivar", spec)
    r = app_client.get(f"/v1/models/{model_id}/weights")
    assert r.status_code == 200
    (tmp_path / "model.npz").write_bytes(r.content)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(snippet, "README.md", "exec"), scope)  # noqa: S102 - the README, as written
    assert scope["x"].tolist() == [ROW]
    served = app_client.post(f"/v1/models/{model_id}/predict", json={"instances": [ROW]}).json()
    assert np.allclose(scope["h"], served["probabilities"], atol=1e-5), (scope["h"], served)
    assert scope["z"]["classes"][scope["h"].argmax(1)].tolist() == served["predictions"]
    assert served["predictions"] == ["barolo"]


def test_the_archive_holds_preprocessing_and_spec_for_regression(app_client):
    rows: list[list] = [[i, (i * 7) % 5, 3.0 * i + 100] for i in range(40)]
    rows[3][1] = ""  # a gap, filled with the median of b over the training rows
    spec = {"network": {"layers": [{"type": "dense", "units": 8, "activation": "tanh"},
                                   {"type": "dense", "units": 1}]},
            "training": {"epochs": 3, "seed": 1}}  # fmt: skip
    data = csv_bytes(["a", "b", "t"], rows)
    model_id = train(app_client, data, "t", spec, impute="median")
    columns = app_client.get(f"/v1/models/{model_id}").json()["input_schema"]["columns"]
    archive = app_client.get(f"/v1/models/{model_id}/weights").content
    with np.load(io.BytesIO(archive), allow_pickle=False) as z:
        assert z["impute"].tolist() == [c["impute"] for c in columns]
        assert z["impute"][1] in {float(v) for v in range(5)}
        meta = json.loads(z["spec.json"].tobytes())
        assert meta["format"] == "backprop-model/1" and meta["task"] == "regression"
        assert meta["training"]["loss"] == "mse" and "classes" not in z.files
        assert [x["initializer"] for x in meta["network"]["layers"]] == ["glorot", "glorot"]
        assert meta["input_schema"]["feature_names"] == ["a", "b"]
        assert z["target_std"].shape == z["target_mean"].shape == (1,)
        assert z["mean"].shape == z["std"].shape == (2,)
        x = np.array([[5.0, 2.0], [30.0, 4.0]])
        h = np.tanh((x - z["mean"]) / z["std"] @ z["layers.0.W"] + z["layers.0.b"])
        y = (h @ z["layers.1.W"] + z["layers.1.b"]) * z["target_std"] + z["target_mean"]
    served = app_client.post(f"/v1/models/{model_id}/predict", json={"instances": x.tolist()})
    assert np.allclose(y[:, 0], served.json()["predictions"], rtol=1e-5)
