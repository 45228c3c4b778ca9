"""GET /v1/jobs/{id}/events: server-sent events from the database, resumable, tenant-scoped."""

from __future__ import annotations

import asyncio
import json

from support import WINE_NETWORK, wait_for_job, wine_csv, wine_split

from service.api.routers import events
from service.api.routers.events import Snapshot, event_stream

EPOCHS = 6


def parse_sse(text: str) -> list[dict]:
    """Frames as dicts with event, id (or None), data (decoded JSON) or comment."""
    frames = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        frame: dict = {"event": "message", "id": None, "data": None}
        for line in block.split("\n"):
            if line.startswith(":"):
                frame["event"] = "comment"
            elif line.startswith("retry:"):
                frame["event"] = "retry"
            else:
                key, _, value = line.partition(": ")
                frame[key] = json.loads(value) if key == "data" else value
        frames.append(frame)
    return frames


def submit_job(client, epochs: int = EPOCHS) -> str:
    names, X, _, y, _, _ = wine_split()
    r = client.post(
        "/v1/datasets",
        files={"file": ("wine.csv", wine_csv(names, X, y), "text/csv")},
        data={"target": "cultivar"},
    )
    assert r.status_code == 201, r.text
    training = {"epochs": epochs, "batch_size": 32, "validation_split": 0.2, "seed": 0}
    r = client.post(
        "/v1/jobs",
        json={"dataset_id": r.json()["id"], "network": WINE_NETWORK, "training": training},
    )
    assert r.status_code == 202, r.text
    return r.json()["id"]


def stream(client, job_id: str, headers: dict | None = None) -> tuple[object, list[dict]]:
    with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=headers or {}) as r:
        body = "".join(r.iter_text())
    return r, parse_sse(body)


def test_events_stream_every_epoch_then_end_and_resume(app_client):
    job_id = submit_job(app_client)
    r, frames = stream(app_client, job_id)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    kinds = [f["event"] for f in frames]
    assert kinds[0] == "retry" and kinds[1] == "status" and kinds[-1] == "end"
    epochs = [f for f in frames if f["event"] == "epoch"]
    assert [f["data"]["epoch"] for f in epochs] == list(range(1, EPOCHS + 1))
    assert [f["id"] for f in epochs] == [str(n) for n in range(1, EPOCHS + 1)]
    assert {"loss", "val_loss", "metrics", "seconds"} <= set(epochs[0]["data"])
    end = frames[-1]["data"]
    assert end["status"] == "succeeded" and end["model_id"]
    history = app_client.get(f"/v1/jobs/{job_id}/history").json()["epochs"]
    assert [f["data"] for f in epochs] == history

    r, frames = stream(app_client, job_id, {"Last-Event-ID": "4"})
    resumed = [f["data"]["epoch"] for f in frames if f["event"] == "epoch"]
    assert resumed == list(range(5, EPOCHS + 1))
    assert frames[-1]["event"] == "end"

    r, frames = stream(app_client, job_id, {"Last-Event-ID": str(EPOCHS)})
    assert [f["event"] for f in frames] == ["retry", "status", "progress", "end"]


def test_events_are_tenant_scoped_and_authenticated(app_client, other_client):
    job_id = submit_job(app_client, epochs=2)
    wait_for_job(app_client, job_id)
    r = other_client.get(f"/v1/jobs/{job_id}/events")
    assert r.status_code == 404 and r.json()["detail"] == f"job {job_id} not found"
    assert app_client.get("/v1/jobs/nope/events").status_code == 404
    r = app_client.get(f"/v1/jobs/{job_id}/events", headers={"Authorization": ""})
    assert r.status_code == 401
    r = app_client.get(f"/v1/jobs/{job_id}/events", headers={"Last-Event-ID": "x"})
    assert r.status_code == 422


def test_stream_sends_changes_keepalives_and_ends():
    """The generator alone, fed by fake polls: a queued job, then running epochs, then done."""
    job = {"id": "j", "error": None, "model_id": None, "metrics": None, "finished_at": None}
    snaps = [
        Snapshot({**job, "status": "queued", "progress": None}),
        Snapshot({**job, "status": "queued", "progress": None}),
        Snapshot({**job, "status": "running", "progress": None}),
        Snapshot(
            {**job, "status": "running", "progress": {"epoch": 1}},
            [{"epoch": 1, "loss": 1.0, "val_loss": None, "metrics": {}, "seconds": 0.1}],
        ),
        Snapshot({**job, "status": "succeeded", "progress": {"epoch": 1}, "model_id": "m"}),
    ]
    asked: list[int] = []

    async def poll(after: int) -> Snapshot:
        asked.append(after)
        return snaps[min(len(asked) - 1, len(snaps) - 1)]

    async def collect() -> list[str]:
        return [f async for f in event_stream(poll, 0, poll_seconds=0, keepalive_seconds=0)]

    frames = parse_sse("".join(asyncio.run(collect())))
    assert [f["event"] for f in frames] == [
        "retry", "status", "comment", "status", "epoch", "progress", "status", "end",
    ]  # fmt: skip
    assert asked == [0, 0, 0, 0, 1]
    assert frames[-1]["data"]["model_id"] == "m"


def test_poll_interval_is_short():
    assert 0.1 <= events.POLL_SECONDS <= 0.5


def run_stream(snaps: list[Snapshot], last_epoch: int = 0) -> list[dict]:
    """Frames of event_stream fed by `snaps` in turn (the last one repeats)."""
    asked: list[int] = []

    async def poll(after: int) -> Snapshot:
        asked.append(after)
        return snaps[min(len(asked) - 1, len(snaps) - 1)]

    async def collect() -> list[str]:
        stream = event_stream(poll, last_epoch, poll_seconds=0, keepalive_seconds=60)
        return [f async for f in stream]

    return parse_sse("".join(asyncio.run(collect())))


def record(epoch: int) -> dict:
    return {"epoch": epoch, "loss": 1.0 / epoch, "val_loss": None, "metrics": {}, "seconds": 0.1}


def test_a_finished_job_streams_running_epochs_then_its_end_in_that_order():
    done = {"id": "j", "status": "succeeded", "error": None, "model_id": "m",
            "metrics": {"epoch": 2}, "finished_at": "2026-12-02T00:00:00Z",
            "progress": {"epoch": 3, "epochs": 3}}  # fmt: skip
    frames = run_stream([Snapshot(done, [record(1), record(2), record(3)]), Snapshot(done)])
    kinds = [(f["event"], (f["data"] or {}).get("status")) for f in frames[1:]]
    assert kinds == [("status", "running"), ("epoch", None), ("epoch", None), ("epoch", None),
                     ("status", "succeeded"), ("progress", None), ("end", "succeeded")]  # fmt: skip
    assert frames[1]["data"]["model_id"] is None and frames[-2]["data"] == done["progress"]


def test_the_end_waits_until_every_epoch_batch_is_sent(monkeypatch):
    monkeypatch.setattr(events, "EPOCH_BATCH", 2)
    job = {"id": "j", "error": None, "model_id": None, "metrics": None, "finished_at": None}
    queued = Snapshot({**job, "status": "queued", "progress": None})
    done = {**job, "status": "cancelled", "progress": {"epoch": 3, "epochs": 9}}
    snaps = [queued, Snapshot(done, [record(1), record(2)]), Snapshot(done, [record(3)])]
    frames = run_stream(snaps)
    events_seen = [(f["event"], f["id"] or (f["data"] or {}).get("status")) for f in frames[1:]]
    assert events_seen == [
        ("status", "queued"), ("status", "running"), ("epoch", "1"), ("epoch", "2"),
        ("epoch", "3"), ("status", "cancelled"), ("progress", None), ("end", "cancelled"),
    ]  # fmt: skip
