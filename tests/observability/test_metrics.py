"""/metrics: job figures from the database at scrape time, predict latency in the API."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from support import WINE_NETWORK, wait_for_job, wine_csv, wine_split


def scrape(client) -> dict[str, dict[tuple, float]]:  # noqa: ANN001
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_metrics_report_jobs_durations_throughput_and_predict_latency(app_client):
    before = scrape(app_client)
    assert before["backprop_jobs"][(("status", "queued"),)] == 0
    assert before["backprop_queue_depth"][()] == 0
    assert before["backprop_epoch_duration_seconds_count"][()] == 0
    assert before["backprop_training_samples_per_second"][()] == 0
    assert before["backprop_db_scrape_ok"][()] == 1
    assert "process_cpu_seconds_total" in before

    names, X, X_te, y, _, _ = wine_split()
    r = app_client.post(
        "/v1/datasets",
        files={"file": ("wine.csv", wine_csv(names, X, y), "text/csv")},
        data={"target": "cultivar"},
    )
    training = {"epochs": 5, "batch_size": 32, "seed": 0}
    r = app_client.post(
        "/v1/jobs",
        json={"dataset_id": r.json()["id"], "network": WINE_NETWORK, "training": training},
    )
    job = wait_for_job(app_client, r.json()["id"])
    for _ in range(3):
        assert (
            app_client.post(
                f"/v1/models/{job['model_id']}/predict", json={"instances": X_te[:2].tolist()}
            ).status_code
            == 200
        )
    assert (
        app_client.post(
            f"/v1/models/{job['model_id']}/predict", json={"instances": [[1.0]]}
        ).status_code
        == 422
    )

    after = scrape(app_client)
    assert after["backprop_jobs"][(("status", "succeeded"),)] == 1
    assert after["backprop_epoch_duration_seconds_count"][()] == 5
    assert after["backprop_epoch_duration_seconds_bucket"][(("le", "+Inf"),)] == 5
    assert after["backprop_epoch_duration_seconds_sum"][()] > 0
    assert after["backprop_job_duration_seconds_count"][(("status", "succeeded"),)] == 1
    assert after["backprop_job_duration_seconds_count"][(("status", "failed"),)] == 0
    latency = after["backprop_predict_latency_seconds_count"]
    assert latency[(("status", "200"),)] == 3 and latency[(("status", "422"),)] == 1


def test_collector_reads_whatever_process_wrote_the_rows(migrated):
    """Rows written by any process: queued depth, running throughput, job durations."""
    from datetime import timedelta

    from prometheus_client import CollectorRegistry, generate_latest

    from service.db.models import Job, Tenant, utcnow
    from service.db.session import session_factory, session_scope
    from service.observability.metrics import JobsCollector

    now = utcnow()
    with session_scope(migrated.sqlalchemy_url) as session:
        tenant = Tenant(name="t")
        session.add(tenant)
        session.flush()
        spec = {"network": {}, "training": {}}
        rows = [
            Job(status="queued"),
            Job(status="queued"),
            Job(status="running", progress={"samples_per_second": 100.0}),
            Job(status="running", progress={"samples_per_second": 50.5}),
            Job(status="failed", started_at=now - timedelta(seconds=3), finished_at=now),
        ]
        for job in rows:
            job.tenant_id, job.dataset_id, job.spec = tenant.id, "d", spec
            session.add(job)
    registry = CollectorRegistry()
    registry.register(JobsCollector(session_factory(migrated.sqlalchemy_url)))
    families = {
        f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())
    }
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    assert values[("backprop_queue_depth", ())] == 2
    assert values[("backprop_jobs", (("status", "running"),))] == 2
    assert values[("backprop_training_samples_per_second", ())] == 150.5
    assert (
        values[("backprop_job_duration_seconds_bucket", (("le", "1.0"), ("status", "failed")))] == 0
    )
    assert (
        values[("backprop_job_duration_seconds_bucket", (("le", "5.0"), ("status", "failed")))] == 1
    )
    assert 2.9 < values[("backprop_job_duration_seconds_sum", (("status", "failed"),))] < 3.1
