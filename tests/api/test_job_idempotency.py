"""Idempotency-Key: the same key and tenant give the same job, never two."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from support import csv_bytes, wait_for_job

NETWORK = {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}


def dataset(client) -> str:
    data = csv_bytes(["a", "t"], [[i, i % 2] for i in range(20)])
    r = client.post("/v1/datasets", files={"file": ("d.csv", data)}, data={"target": "t"})
    return r.json()["id"]


def test_same_key_same_job(app_client, other_client):
    ds = dataset(app_client)
    body = {"dataset_id": ds, "network": NETWORK, "training": {"epochs": 2}}
    headers = {"Idempotency-Key": "order-42"}
    first = app_client.post("/v1/jobs", json=body, headers=headers)
    again = app_client.post("/v1/jobs", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert app_client.get("/v1/jobs").json()["total"] == 1
    different = {**body, "training": {"epochs": 3}}
    r = app_client.post("/v1/jobs", json=different, headers=headers)
    assert r.status_code == 409 and "Idempotency-Key" in r.json()["detail"]
    # the key is per tenant: another tenant's same key is its own (and here: no dataset)
    assert other_client.post("/v1/jobs", json=body, headers=headers).status_code == 404
    assert wait_for_job(app_client, first.json()["id"])["status"] == "succeeded"


def test_concurrent_requests_with_one_key_make_one_job(app_client):
    ds = dataset(app_client)
    body = {"dataset_id": ds, "network": NETWORK, "training": {"epochs": 1}}

    def post(_: int) -> str:
        r = app_client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "burst"})
        assert r.status_code == 202, r.text
        return r.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(post, range(16)))
    assert len(ids) == 1
    assert app_client.get("/v1/jobs").json()["total"] == 1
