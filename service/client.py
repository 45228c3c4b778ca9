"""A Python client for the Backprop Service REST API (httpx), usable on its own.

    from service.client import BackpropClient
    with BackpropClient("http://127.0.0.1:8000", api_key) as bp:
        ds = bp.upload_dataset("examples/wine.csv", target="cultivar")
        job = bp.submit_job({"dataset_id": ds["id"], "network": {...}, "training": {...}})
        for event in bp.iter_events(job["id"]):
            print(event.event, event.data)
        print(bp.predict(bp.get_job(job["id"])["model_id"], [[13.2, 1.78, ...]]))

Every 4xx/5xx answer raises BackpropError carrying the problem+json `detail`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
TERMINAL = ("succeeded", "failed", "cancelled")


class BackpropError(Exception):
    """The service answered with an error; `detail` is the problem+json explanation."""

    def __init__(
        self, status: int, detail: str, errors: list[dict] | None = None, title: str = ""
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.title = title


class ConfigError(Exception):
    """The client is missing a setting (for example no API key could be found)."""


class EventStreamError(Exception):
    """A job's event stream kept closing without its `end` event while the job had not ended."""


@dataclass
class Event:
    """One server-sent event: its type, id (the epoch for `epoch` events) and decoded data."""

    event: str
    id: str | None
    data: Any


def resolve_key(api_key: str | None = None) -> str:
    """--key, else BACKPROP_API_KEY, else $BACKPROP_DATA_DIR/api-key.txt from `backprop up`."""
    if api_key:
        return api_key.strip()
    if os.environ.get("BACKPROP_API_KEY"):
        return os.environ["BACKPROP_API_KEY"].strip()
    key_file = Path(os.environ.get("BACKPROP_DATA_DIR") or ".backprop") / "api-key.txt"
    if key_file.is_file():
        key = key_file.read_text().strip()
        if key:
            return key
    raise ConfigError(
        f"no API key: pass --key, set BACKPROP_API_KEY, or run this where `backprop up` "
        f"saved one ({key_file} does not exist)"
    )


def resolve_url(url: str | None = None) -> str:
    """--url, else BACKPROP_URL, else http://127.0.0.1:8000."""
    return (url or os.environ.get("BACKPROP_URL") or DEFAULT_URL).rstrip("/")


def parse_sse(lines: Iterator[str]) -> Iterator[Event]:
    """Server-sent events from text lines (comments and `retry:` are skipped)."""
    event, event_id, data = "message", None, []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                text = "\n".join(data)
                try:
                    value: Any = json.loads(text)
                except json.JSONDecodeError:
                    value = text
                yield Event(event, event_id, value)
            event, event_id, data = "message", None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event = value
        elif field == "id":
            event_id = value
        elif field == "data":
            data.append(value)


class BackpropClient:
    """One method per REST route; returns decoded JSON (dicts and lists)."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """base_url/api_key default to BACKPROP_URL / BACKPROP_API_KEY / the key file.

        http: an existing httpx.Client to send through (its base_url is used as is).
        """
        self.base_url = resolve_url(base_url)
        self.api_key = resolve_key(api_key)
        self._owned = http is None
        self.http = http or httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport
        )
        self.http.headers["Authorization"] = f"Bearer {self.api_key}"

    def __enter__(self) -> BackpropClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self.http.close()

    # -- plumbing -------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        raise_for_problem(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        return None if response.status_code == 204 else response.json()

    # -- datasets -------------------------------------------------------------------------
    def upload_dataset(
        self,
        path: str | Path,
        target: str | None = None,
        name: str | None = None,
        task: str | None = None,
    ) -> dict[str, Any]:
        """Upload a .csv (needs `target`), .npz or .json file; returns the dataset."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            body = json.loads(path.read_text())
            body.setdefault("name", name or path.name)
            if task:
                body["task"] = task
            return self._json("POST", "/v1/datasets", json=body)
        form = {k: v for k, v in {"target": target, "name": name, "task": task}.items() if v}
        with path.open("rb") as handle:
            files = {"file": (path.name, handle, "application/octet-stream")}
            return self._json("POST", "/v1/datasets", data=form, files=files)

    def list_datasets(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._json("GET", "/v1/datasets", params={"limit": limit, "offset": offset})

    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/datasets/{dataset_id}")

    def delete_dataset(self, dataset_id: str) -> None:
        self._json("DELETE", f"/v1/datasets/{dataset_id}")

    # -- jobs -----------------------------------------------------------------------------
    def submit_job(self, spec: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/jobs with {dataset_id, network, training}; returns the queued job."""
        return self._json("POST", "/v1/jobs", json=spec)

    def list_jobs(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        return self._json("GET", "/v1/jobs", params=params)

    def get_job(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/jobs/{job_id}")

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        return self._json("POST", f"/v1/jobs/{job_id}/cancel")

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
                timeout = httpx.Timeout(self.http.timeout.connect, read=60.0)
                with self.http.stream(
                    "GET", f"/v1/jobs/{job_id}/events", headers=headers, timeout=timeout
                ) as response:
                    if response.is_error:
                        response.read()
                        raise_for_problem(response)
                    for event in parse_sse(response.iter_lines()):
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
        deadline = time.monotonic() + timeout
        while True:
            job = self.get_job(job_id)
            if job["status"] in TERMINAL or time.monotonic() > deadline:
                return job
            time.sleep(poll)

    # -- models ---------------------------------------------------------------------------
    def list_models(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._json("GET", "/v1/models", params={"limit": limit, "offset": offset})

    def get_model(self, model_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/models/{model_id}")

    def delete_model(self, model_id: str) -> None:
        self._json("DELETE", f"/v1/models/{model_id}")

    def predict(self, model_id: str, instances: list[Any]) -> dict[str, Any]:
        """{"predictions": [...], "probabilities": [[...]]} for rows of features."""
        return self._json("POST", f"/v1/models/{model_id}/predict", json={"instances": instances})

    def download_weights(self, model_id: str, path: str | Path | None = None) -> bytes:
        """The weights .npz; also written to `path` when given."""
        return self._download(f"/v1/models/{model_id}/weights", path)

    def export_model(
        self, model_id: str, format: str = "onnx", path: str | Path | None = None
    ) -> bytes:
        """The model as a portable file (ONNX: input `input`, outputs `predictions` and
        `probabilities`); also written to `path` when given."""
        return self._download(f"/v1/models/{model_id}/export", path, params={"format": format})

    def _download(self, url: str, path: str | Path | None, **kwargs: Any) -> bytes:
        data = self._request("GET", url, **kwargs).content
        if path is not None:
            Path(path).write_bytes(data)
        return data


def raise_for_problem(response: httpx.Response) -> None:
    """Raise BackpropError with the problem+json detail for a 4xx/5xx response."""
    if not response.is_error:
        return
    detail, errors, title = response.reason_phrase or "error", None, ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = str(body.get("detail") or detail)
        errors = body.get("errors")
        title = str(body.get("title") or "")
    elif response.text:
        detail = response.text[:500]
    raise BackpropError(response.status_code, detail, errors, title)
