"""A Python client for the Backprop Service REST API (httpx), usable on its own.

    from service.client import BackpropClient
    with BackpropClient("http://127.0.0.1:8000", api_key) as bp:
        ds = bp.upload_dataset("examples/wine.csv", target="cultivar")
        job = bp.submit_job({"dataset_id": ds["id"], "network": {...}, "training": {...}})
        for event in bp.iter_events(job["id"]):
            print(event.event, event.data)
        print(bp.predict(bp.get_job(job["id"])["model_id"], [[13.2, 1.78, ...]]))
        search = bp.submit_search({..., "space": {...}, "strategy": {...}})
        print(bp.wait_search(search["id"])["best"])
        bp.register_model("wine", model_id); bp.set_alias("wine", "production", 1)
        print(bp.predict("wine@production", [[13.2, 1.78, ...]]))
        bp.create_webhook("https://example.com/hook", ["job.succeeded"], "a-long-secret")

Every 4xx/5xx answer raises BackpropError carrying the problem+json `detail`.
"""

from __future__ import annotations

from service.client.base import (
    DEFAULT_URL,
    TERMINAL,
    BackpropError,
    ConfigError,
    EventStreamError,
    raise_for_problem,
    resolve_key,
    resolve_url,
)
from service.client.datasets import DatasetsApi
from service.client.jobs import JobsApi
from service.client.models import ModelsApi
from service.client.registry import RegistryApi
from service.client.scoring import ScoringApi
from service.client.searches import SearchesApi
from service.client.sse import Event, parse_sse
from service.client.webhooks import WebhooksApi

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


class BackpropClient(
    DatasetsApi, JobsApi, ModelsApi, RegistryApi, ScoringApi, SearchesApi, WebhooksApi
):
    """One method per REST route; returns decoded JSON (dicts and lists). Each resource's
    methods live in its own module of this package."""
