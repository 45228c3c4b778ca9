"""Client methods for /v1/jobs: submit, list, cancel, history, live events, wait."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from service.client.base import TERMINAL, ClientBase, EventStreamError
from service.client.sse import Event


class JobsApi(ClientBase):
    """Submit jobs and follow them."""

    def submit_job(
        self, spec: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """POST /v1/jobs with {dataset_id, network, training, max_runtime_seconds}; returns
        the queued job (the same one again for a repeated `idempotency_key`)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._json("POST", "/v1/jobs", json=spec, headers=headers)

    def list_jobs(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        return self._list("/v1/jobs", limit, offset, status=status)

    def get_job(self, job_id: str) -> dict[str, Any]:
        return self._get(f"/v1/jobs/{job_id}")

    def cancel_job(self, job_id: str, keep_model: bool = False) -> dict[str, Any]:
        """Cancel; with `keep_model` the last finished (or restored best) epoch becomes a model."""
        body = {"keep_model": True} if keep_model else None
        return self._json("POST", f"/v1/jobs/{job_id}/cancel", json=body)

    def delete_job(self, job_id: str, *, delete_model: bool = False) -> None:
        """Delete a finished job and its history; its model too with `delete_model`."""
        params = {"delete_model": "true"} if delete_model else None
        self._json("DELETE", f"/v1/jobs/{job_id}", params=params)

    def history(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/jobs/{job_id}/history")

    def iter_events(
        self, job_id: str, last_event_id: str | int | None = None, reconnects: int = 5
    ) -> Iterator[Event]:
        """The job's live events until `end`; reconnects with Last-Event-ID if cut off.

        When the stream closes without `end` more than `reconnects` times in a row, the job
        is read once: a finished job yields a final `end` event with its status, an unfinished
        one raises EventStreamError (the iterator never ends quietly before the job does)."""
        last = None if last_event_id is None else str(last_event_id)
        failures = 0
        while True:
            headers = {"Accept": "text/event-stream"}
            if last is not None:
                headers["Last-Event-ID"] = last
            try:
                with self._event_stream(f"/v1/jobs/{job_id}/events", headers) as events:
                    for event in events:
                        failures = 0
                        if event.id is not None:
                            last = event.id
                        yield event
                        if event.event == "end":
                            return
            except httpx.TransportError:
                failures += 1
                if failures > reconnects:
                    raise
                time.sleep(min(5.0, 0.5 * 2**failures))
                continue
            # the server closed without `end` (restart): resume after the last epoch
            failures += 1
            if failures > reconnects:
                yield self._end_event(job_id, failures)
                return
            time.sleep(0.5)

    def _end_event(self, job_id: str, closes: int) -> Event:
        """The `end` event of a finished job, read directly; EventStreamError if it runs on."""
        job = self.get_job(job_id)
        if job["status"] not in TERMINAL:
            raise EventStreamError(
                f"the event stream of job {job_id} closed {closes} times without an end event; "
                f"the job is still {job['status']} (check it with GET /v1/jobs/{job_id})"
            )
        keys = ("id", "status", "error", "model_id", "metrics", "finished_at")
        return Event("end", None, {k: job.get(k) for k in keys})

    def wait(self, job_id: str, timeout: float = 3600.0, poll: float = 1.0) -> dict[str, Any]:
        """Poll the job until it reaches a terminal status; returns the job."""
        return self._poll_until_ended(lambda: self.get_job(job_id), timeout, poll)
