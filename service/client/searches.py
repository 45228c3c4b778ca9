"""The client's hyperparameter-search routes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from service.client.base import ClientBase, delete_method, get_method, list_method
from service.client.sse import Event


class SearchesApi(ClientBase):
    """POST/GET /v1/searches, trials, events, cancel, delete."""

    def submit_search(self, spec: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/searches with a job body plus space, strategy, objective, pruning."""
        return self._json("POST", "/v1/searches", json=spec)

    list_searches = list_method("/v1/searches")
    get_search = get_method("/v1/searches")
    delete_search = delete_method("/v1/searches")

    def search_trials(self, search_id: str) -> dict[str, Any]:
        """{"search_id", "objective", "trials": [{trial, job_id, status, params, value, ...}]}"""
        return self._json("GET", f"/v1/searches/{search_id}/trials")

    def cancel_search(self, search_id: str) -> dict[str, Any]:
        return self._json("POST", f"/v1/searches/{search_id}/cancel")

    def iter_search_events(self, search_id: str, reconnects: int = 5) -> Iterator[Event]:
        """The search's live events (trial_started, trial_ended, best, progress) until
        `end`; a stream cut off is reopened (it starts over from the current state)."""
        failures = 0
        while True:
            try:
                with self._event_stream(f"/v1/searches/{search_id}/events") as events:
                    for event in events:
                        failures = 0
                        yield event
                        if event.event == "end":
                            return
            except httpx.TransportError:
                pass
            failures += 1
            if failures > reconnects:
                search = self.get_search(search_id)
                yield Event("end", None, search)
                return
            time.sleep(min(5.0, 0.5 * 2**failures))

    def wait_search(
        self, search_id: str, timeout: float = 24 * 3600.0, poll: float = 1.0
    ) -> dict[str, Any]:
        """Poll the search until it has ended (or `timeout` seconds); returns it."""
        return self._poll_until_ended(lambda: self.get_search(search_id), timeout, poll)
