"""Fixtures shared by the API tests."""

from __future__ import annotations

import pytest
from support import CORPUS_NETWORK, GOOD_CSV, wait_for_job


@pytest.fixture
def stored(app_client) -> dict[str, str]:
    """A small dataset, a succeeded job on it and its model (ids), for the bad-input corpus."""
    ds = app_client.post(
        "/v1/datasets", files={"file": ("d.csv", GOOD_CSV)}, data={"target": "t"}
    ).json()
    job = app_client.post(
        "/v1/jobs",
        json={"dataset_id": ds["id"], "network": CORPUS_NETWORK, "training": {"epochs": 3}},
    ).json()
    done = wait_for_job(app_client, job["id"])
    assert done["status"] == "succeeded"
    return {"dataset": ds["id"], "job": done["id"], "model": done["model_id"]}
