"""Large NPZ uploads are stored as memory-mappable files and train in place."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from support import wait_for_job

from service.db import files as dataset_files

NETWORK = {
    "layers": [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
}


def npz(X: np.ndarray, y: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, X=X, y=y)
    return buf.getvalue()


def data(dtype) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = (rng.normal(size=(1500, 12)) * 5 + 3).astype(dtype)
    y = (X[:, :3] @ np.array([[1.0, -1, 0], [0, 1, -1], [-1, 0, 1]])).argmax(axis=1)
    return X, np.array(["a", "b", "c"])[y]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_npz_is_file_backed_and_trains(app_client, dtype):
    settings = app_client.app_settings
    settings.dataset_inline_bytes = 10_000
    X, y = data(dtype)
    r = app_client.post("/v1/datasets", files={"file": ("big.npz", npz(X, y))})
    assert r.status_code == 201, r.text
    ds = r.json()
    folder = dataset_files.dataset_dir(settings.data_dir, ds["id"])
    stored = np.load(folder / "X.npy", mmap_mode="r")
    assert stored.dtype == np.float32 and np.array_equal(stored, X.astype(np.float32))
    assert ds["rows"] == 1500 and ds["classes"] == ["a", "b", "c"]
    job = app_client.post(
        "/v1/jobs",
        json={"dataset_id": ds["id"], "network": NETWORK, "training": {"epochs": 15, "seed": 1}},
    ).json()
    done = wait_for_job(app_client, job["id"])
    assert done["status"] == "succeeded", done
    assert done["metrics"]["val_accuracy"] > 0.85
    pred = app_client.post(
        f"/v1/models/{done['model_id']}/predict", json={"instances": X[:200].astype(float).tolist()}
    ).json()
    assert np.mean(np.array(pred["predictions"]) == y[:200]) > 0.85
    assert app_client.delete(f"/v1/datasets/{ds['id']}").status_code == 204
    assert not folder.exists()


def test_file_backed_training_matches_in_memory_training(app_client):
    """Same data and seed: the memory-mapped path gives the same model as the DB path."""
    X, y = data(np.float32)
    body = npz(X, y)
    ids = []
    for inline in (10**9, 10_000):
        app_client.app_settings.dataset_inline_bytes = inline
        ids.append(app_client.post("/v1/datasets", files={"file": ("d.npz", body)}).json()["id"])
    models = []
    for ds in ids:
        job = app_client.post(
            "/v1/jobs",
            json={"dataset_id": ds, "network": NETWORK, "training": {"epochs": 3, "seed": 5}},
        ).json()
        models.append(wait_for_job(app_client, job["id"])["model_id"])
    weights = [
        np.load(io.BytesIO(app_client.get(f"/v1/models/{m}/weights").content)) for m in models
    ]
    assert weights[0].files == weights[1].files
    for key in weights[0].files:
        if key == "classes":  # labels (text)
            assert weights[0][key].tolist() == weights[1][key].tolist()
        elif key != "spec.json":  # its metrics may differ in the last digits
            np.testing.assert_allclose(weights[0][key], weights[1][key], rtol=1e-4, atol=1e-5)


def test_bad_large_npz_is_refused_and_cleaned_up(app_client):
    settings = app_client.app_settings
    settings.dataset_inline_bytes = 10_000
    X, y = data(np.float64)
    X[700, 4] = np.nan
    r = app_client.post("/v1/datasets", files={"file": ("bad.npz", npz(X, y))})
    assert r.status_code == 422 and "X[700" in r.json()["detail"], r.text
    assert not any((settings.data_dir / "datasets").glob("*/X.npy"))
    assert not any((settings.data_dir / "uploads").iterdir())


@pytest.mark.parametrize("dtype", [np.int8, np.float16, np.float32])
def test_large_npz_copies_every_dtype_and_shape_exactly(app_client, dtype):
    settings = app_client.app_settings
    settings.dataset_inline_bytes = 1_000
    X = (np.arange(400 * 3 * 5) % 97 - 40).reshape(400, 3, 5).astype(dtype)
    r = app_client.post("/v1/datasets", files={"file": ("img.npz", npz(X, np.arange(400) % 2))})
    assert r.status_code == 201, r.text
    assert r.json()["input_shape"] == [3, 5] and r.json()["features"] == 15
    stored = np.load(dataset_files.dataset_dir(settings.data_dir, r.json()["id"]) / "X.npy")
    assert stored.dtype == np.float32 and np.array_equal(stored, X.astype(np.float32))


def test_large_npz_with_x_cut_short_is_refused(app_client):
    settings = app_client.app_settings
    settings.dataset_inline_bytes = 1_000
    member = io.BytesIO()
    np.save(member, np.ones((500, 4), dtype=np.float32))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("X.npy", member.getvalue()[:-4])
        y = io.BytesIO()
        np.save(y, np.arange(500) % 2)
        zf.writestr("y.npy", y.getvalue())
    r = app_client.post("/v1/datasets", files={"file": ("cut.npz", buf.getvalue())})
    assert r.status_code == 422 and "declares shape (500, 4)" in r.json()["detail"], r.text
    assert app_client.get("/v1/datasets").json()["total"] == 0
