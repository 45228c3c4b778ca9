"""A PostgreSQL restart during training: the job finishes (or fails cleanly), never stuck."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cluster import Cluster
from support import IN_CI, port_open

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]
ALLOWED = IN_CI or os.environ.get("BACKPROP_TEST_DISRUPT") == "1"


def restart_postgres() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        timeout=120,
        capture_output=True,
    )
    assert port_open("127.0.0.1", 5432)


@pytest.mark.skipif(
    not ALLOWED,
    reason="restarts this machine's PostgreSQL; runs in CI, or set BACKPROP_TEST_DISRUPT=1",
)
@pytest.mark.skipif(
    not IN_CI and (shutil.which("pg_ctlcluster") is None or os.geteuid() != 0),
    reason="needs pg_ctlcluster and root to restart PostgreSQL (in CI a lack of them fails)",
)
def test_training_survives_a_postgres_restart(processes, postgres_url, private_redis):
    cluster = Cluster(processes, postgres_url, private_redis.url)
    dataset = cluster.dataset()
    cluster.worker()
    job_id = cluster.submit(dataset, epochs=30)
    cluster.wait_epochs(job_id, 2)
    restart_postgres()
    done = cluster.wait_status(job_id, ("succeeded", "failed"), timeout=180)
    assert done["status"] == "succeeded", done
    assert cluster.history(job_id) == list(range(1, 31))
