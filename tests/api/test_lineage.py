"""Every model shows where it came from: data set and its SHA-256, job spec and seed, job,
attempts, training time and service version."""

from __future__ import annotations

import io

import numpy as np
from sqlalchemy import update
from support import wait_for_job

from service import __version__
from service.data.fingerprint import arrays_sha256
from service.db.blobs import npz_to_arrays
from service.db.models import Dataset, TrainedModel
from service.db.session import session_scope

NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}
X = np.arange(80, dtype=np.float32).reshape(40, 2) % 7
Y = np.arange(40) % 2


def npz_file() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, X=X, y=Y)
    return buf.getvalue()


def upload(client) -> dict:
    r = client.post("/v1/datasets", files={"file": ("d.npz", npz_file())})
    assert r.status_code == 201, r.text
    return r.json()


def train(client, dataset_id: str) -> dict:
    training = {"epochs": 3, "seed": 7}
    body = {"dataset_id": dataset_id, "network": NETWORK, "training": training}
    return wait_for_job(client, client.post("/v1/jobs", json=body).json()["id"])


def test_model_lineage(app_client):
    ds = upload(app_client)
    with session_scope(app_client.app_settings.sqlalchemy_url) as s:
        stored = npz_to_arrays(s.get(Dataset, ds["id"]).arrays)
    assert ds["content_sha256"] == arrays_sha256(stored["X"], stored["y"])
    job = train(app_client, ds["id"])
    lineage = app_client.get(f"/v1/models/{job['model_id']}").json()["lineage"]
    assert lineage["dataset_id"] == ds["id"] and lineage["dataset_sha256"] == ds["content_sha256"]
    assert lineage["job_id"] == job["id"] and lineage["attempts"] == 1
    assert lineage["spec"] == {"network": job["network"], "training": job["training"]}
    assert lineage["seed"] == 7 and lineage["service_version"] == __version__
    history = app_client.get(f"/v1/jobs/{job['id']}/history").json()["epochs"]
    assert lineage["training_seconds"] == round(sum(e["seconds"] for e in history), 6)
    assert lineage["search_id"] is None and lineage["trial"] is None


def test_fingerprint_is_the_same_in_the_database_and_in_files(app_client):
    in_db = upload(app_client)
    app_client.app_settings.dataset_inline_bytes = 100  # memory-mapped files from now on
    in_files = upload(app_client)
    assert in_db["content_sha256"] == in_files["content_sha256"]
    assert len(in_db["content_sha256"]) == 64
    other = app_client.post("/v1/datasets", json={"X": X.tolist(), "y": (1 - Y).tolist()}).json()
    assert other["content_sha256"] != in_db["content_sha256"]


def test_older_rows_get_a_fingerprint_and_a_lineage(app_client):
    ds = upload(app_client)
    url = app_client.app_settings.sqlalchemy_url
    with session_scope(url) as s:  # as stored before fingerprints existed
        s.execute(update(Dataset).values(content_sha256=None))
    assert app_client.get(f"/v1/datasets/{ds['id']}").json()["content_sha256"] is None
    job = train(app_client, ds["id"])
    assert (
        app_client.get(f"/v1/datasets/{ds['id']}").json()["content_sha256"] == ds["content_sha256"]
    )
    with session_scope(url) as s:  # a model saved before lineage existed
        s.execute(update(TrainedModel).values(lineage=None))
    lineage = app_client.get(f"/v1/models/{job['model_id']}").json()["lineage"]
    assert lineage["job_id"] == job["id"] and lineage["seed"] == 7
    assert lineage["dataset_sha256"] == ds["content_sha256"]
    assert lineage["service_version"] is None and lineage["attempts"] == 1
