"""The Quick start: `backprop up` with no configuration (SQLite + in-process worker)."""

from __future__ import annotations

import time

import httpx
import pytest
from flows import sklearn_wine_accuracy, train_and_predict_wine
from processes import wait_healthy
from support import free_port

pytestmark = pytest.mark.e2e


def test_up_prints_a_key_and_trains(processes, tmp_path):
    port = free_port()
    up = processes.start("up", "up", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, up)
    key_file = tmp_path / "data" / "api-key.txt"
    key = key_file.read_text().strip()
    deadline = time.monotonic() + 10
    while key not in up.output():
        assert time.monotonic() < deadline, up.output()
        time.sleep(0.1)
    assert (tmp_path / "data" / "backprop.db").exists()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        _, accuracy = train_and_predict_wine(c)
    assert accuracy >= sklearn_wine_accuracy() - 0.023, accuracy
