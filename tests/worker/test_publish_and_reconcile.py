"""A failed publish leaves the job queued; the reconciler publishes it later."""

from __future__ import annotations

from service.db import jobs_repo
from service.db.keys import get_or_create_tenant
from service.db.models import Job
from service.db.session import session_factory
from service.worker.publish import publish_job
from service.worker.reconciler import reconcile_once


class FlakyPublisher:
    def __init__(self) -> None:
        self.down = True
        self.sent: list[str] = []

    def publish(self, job_id: str) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append(job_id)


def test_failed_publish_is_republished(migrated):
    sessions = session_factory(migrated.sqlalchemy_url)
    with sessions() as s:
        tenant = get_or_create_tenant(s, "t")
        job = jobs_repo.create_job(s, tenant.id, "ds", {"network": {}, "training": {}}, 3)
        s.commit()
    publisher = FlakyPublisher()
    assert publish_job(publisher, migrated, job.id) is False
    with sessions() as s:
        assert s.get(Job, job.id).status == "queued"
        assert s.get(Job, job.id).published_at is None
    assert reconcile_once(migrated, publisher, stale_publish_seconds=60) == 0
    publisher.down = False
    assert reconcile_once(migrated, publisher, stale_publish_seconds=60) == 1
    assert publisher.sent == [job.id]
    assert reconcile_once(migrated, publisher, stale_publish_seconds=60) == 0  # recorded
