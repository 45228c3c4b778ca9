"""Helpers shared by the service tests: servers, clients, datasets."""

from __future__ import annotations

import io
import os
import socket
import time
from typing import Any

import httpx
import numpy as np
import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get(
    "BACKPROP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("BACKPROP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex((host, port)) == 0


def require_service(name: str, host: str, port: int) -> None:
    """Skip outside CI when a server is down; in CI a missing server is a failure."""
    if port_open(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(message + " (CI=true: these tests must run)")
    pytest.skip(message + " (start it to run this test; CI requires it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ended(client: Any, path: str, timeout: float) -> dict[str, Any]:
    """Poll GET `path` (a job or a search) until its status is terminal; its body."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(path).json()
        if body["status"] in ("succeeded", "failed", "cancelled"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"{path} did not end in {timeout}s: {body}")


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll GET /v1/jobs/{id} until a terminal status; return the job."""
    return wait_ended(client, f"/v1/jobs/{job_id}", timeout)


def csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for row in rows:
        out.write(",".join(str(v) for v in row) + "\n")
    return out.getvalue().encode()


def wine_split() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """scikit-learn's wine data with string labels, stratified 75/25 split (random_state=0).

    Returns feature names, X_train, X_test, y_train, y_test (strings) and the label names.
    """
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    data = load_wine()
    names = ["barolo", "grignolino", "barbera"]
    y = np.array([names[i] for i in data.target])
    X_tr, X_te, y_tr, y_te = train_test_split(
        data.data, y, test_size=0.25, random_state=0, stratify=y
    )
    return list(data.feature_names), X_tr, X_te, y_tr, y_te, names


def wine_csv(feature_names: list[str], X: np.ndarray, y: np.ndarray) -> bytes:
    """CSV with the label column 'cultivar' in the middle of the features."""
    mid = len(feature_names) // 2
    header = [*feature_names[:mid], "cultivar", *feature_names[mid:]]
    rows = [[*x[:mid], label, *x[mid:]] for x, label in zip(X.tolist(), y.tolist(), strict=True)]
    return csv_bytes(header, rows)


WINE_NETWORK = {
    "layers": [
        {"type": "dense", "units": 32, "activation": "relu"},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
}
WINE_TRAINING = {
    "loss": "cross_entropy",
    "optimizer": {"type": "adam", "learning_rate": 0.01},
    "epochs": 60,
    "batch_size": 16,
    "validation_split": 0.2,
    "seed": 0,
}


GOOD_CSV = csv_bytes(["a", "b", "t"], [[i, (i * 7) % 5, i % 2] for i in range(40)])
"""40 rows, two numeric features, a 0/1 label: the bad-input corpus's well-formed upload."""
CORPUS_NETWORK = {
    "layers": [
        {"type": "dense", "units": 8, "activation": "relu"},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
}


def assert_problem(r: httpx.Response, *statuses: int) -> None:
    """The response is one of `statuses` as application/problem+json with a detail."""
    assert r.status_code in statuses, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    assert r.json()["detail"], r.text


def wait_for_search(client: Any, search_id: str, timeout: float = 300.0) -> dict[str, Any]:
    """Poll GET /v1/searches/{id} until the search has ended; its body."""
    return wait_ended(client, f"/v1/searches/{search_id}", timeout)
