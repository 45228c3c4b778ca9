"""A Python client for the Backprop Service REST API (httpx), usable on its own.

    from service.client import BackpropClient
    with BackpropClient("http://127.0.0.1:8000", api_key) as bp:
        ds = bp.upload_dataset("examples/wine.csv", target="cultivar")
        job = bp.submit_job({"dataset_id": ds["id"], "network": {...}, "training": {...}})
        for event in bp.iter_events(job["id"]):
            print(event.event, event.data)
        print(bp.predict(bp.get_job(job["id"])["model_id"], [[13.2, 1.78, ...]]))

Every 4xx/5xx answer raises BackpropError carrying the problem+json `detail`. One module per
resource (datasets, jobs, models), all on the Transport in base.py.
"""

from __future__ import annotations

import time  # noqa: F401 - tests patch client.time.sleep

from service.client.base import (
    DEFAULT_URL,
    TERMINAL,
    BackpropError,
    ConfigError,
    Event,
    EventStreamError,
    parse_sse,
    raise_for_problem,
    resolve_key,
    resolve_url,
)
from service.client.datasets import DatasetsClient
from service.client.jobs import JobsClient
from service.client.models import ModelsClient


class BackpropClient(DatasetsClient, JobsClient, ModelsClient):
    """One method per REST route; returns decoded JSON (dicts and lists)."""

    def __enter__(self) -> BackpropClient:
        return self


__all__ = [
    "DEFAULT_URL",
    "TERMINAL",
    "BackpropClient",
    "BackpropError",
    "ConfigError",
    "Event",
    "EventStreamError",
    "parse_sse",
    "raise_for_problem",
    "resolve_key",
    "resolve_url",
]
