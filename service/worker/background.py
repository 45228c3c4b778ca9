"""A Celery worker's own threads beside its tasks: the reconciler (stale and lost jobs) and
the webhook deliverer. Started when the worker is ready, stopped and joined when it shuts
down, so no repair pass or webhook send outlives the worker (the embedded executor and the
API's lifespan do the same for theirs)."""

from __future__ import annotations

import logging

from service.config import Settings
from service.events.delivery import Deliverer
from service.worker.publish import Publisher
from service.worker.reconciler import JOIN_SECONDS, Reconciler

log = logging.getLogger(__name__)


class WorkerThreads:
    """The reconciler and the deliverer of one Celery worker process."""

    def __init__(self, settings: Settings, publisher: Publisher) -> None:
        self.reconciler = Reconciler(settings, publisher, sweep_at_start=False)
        self.deliverer = Deliverer(settings)

    def start(self) -> None:
        self.reconciler.start()
        self.deliverer.start()

    def stop(self) -> None:
        """Stop both and wait for them: a reconcile pass ends within JOIN_SECONDS, the
        deliverer after its sends in flight (Deliverer.wait_stopped)."""
        self.reconciler.stop()
        self.deliverer.stop()
        self.reconciler.join(JOIN_SECONDS)
        if self.reconciler.is_alive():
            log.warning("reconciler still in a pass at worker shutdown")
        if not self.deliverer.wait_stopped():
            log.warning("webhook deliverer still sending at worker shutdown")
