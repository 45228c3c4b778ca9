"""The Celery application: JSON only, late acks, one message at a time per process."""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init

from service.config import Settings, get_settings
from service.db.session import get_engine

TRAIN_TASK = "backprop.train_job"
QUEUE = "backprop"


def make_celery(settings: Settings | None = None) -> Celery:
    """A Celery app on the configured broker; its result backend is never used for status."""
    settings = settings or get_settings()
    app = Celery("backprop", broker=settings.broker_url, include=["service.worker.tasks"])
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        broker_connection_retry_on_startup=True,
        # Our own reaper requeues abandoned jobs from the database; Redis' redelivery of
        # unacked messages is only a backstop, so keep it well beyond any training run.
        broker_transport_options={"visibility_timeout": 12 * 3600},
        worker_hijack_root_logger=False,
    )
    return app


celery_app = make_celery()


@worker_process_init.connect
def _fresh_engines(**_: object) -> None:
    """A forked pool process must not share the parent's database connections."""
    get_engine.cache_clear()
