"""CLI output against a fake service (httpx.MockTransport): table widths, text that looks
like markup, network errors and the end of `jobs follow`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from service import client as client_module
from service.cli import app, common
from service.cli.jobs import _report

JOB_ID = "0e81d673-2086-4e05-8017-dcef4d8554a6"
RUNNING_ID = "b2a42345-1f40-49bb-90fc-a31a9a4b8966"
MODEL_ID = "fe1fb19a-3c3d-4a8e-9d6b-2f1f0b7f5c11"
OTHER_MODEL = "82fd05ae-63e9-4941-92f0-59bfddaa5da7"
CREATED = "2026-11-24T01:02:03.456Z"
Handler = Callable[[httpx.Request], httpx.Response]


def job(job_id: str = JOB_ID, status: str = "succeeded", **extra: Any) -> dict[str, Any]:
    body = {
        "id": job_id, "status": status, "dataset_id": "d" * 36, "training": {"epochs": 60},
        "progress": {"epoch": 22, "epochs": 60}, "metrics": {"loss": 0.01234, "val_loss": 0.2345},
        "error": None, "model_id": MODEL_ID if status == "succeeded" else None,
        "created_at": CREATED, "finished_at": None,
    }  # fmt: skip
    return body | extra


def model(model_id: str, metrics: dict[str, float]) -> dict[str, Any]:
    return {"id": model_id, "task": "classification", "num_params": 1234, "metrics": metrics,
            "job_id": JOB_ID, "created_at": CREATED}  # fmt: skip


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "total": len(items), "limit": 50, "offset": 0}


def sse(*frames: tuple[str, dict[str, Any]]) -> httpx.Response:
    body = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in frames)
    return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Callable[[Handler], None]:
    """Route the CLI's client to a handler; no sleeping between event-stream reconnects."""
    real = common.BackpropClient
    monkeypatch.setattr(client_module.jobs.time, "sleep", lambda _: None)

    def install(handler: Handler) -> None:
        def make(url: str | None, key: str | None) -> client_module.BackpropClient:
            return real(url, key, transport=httpx.MockTransport(handler))

        monkeypatch.setattr(common, "BackpropClient", make)

    return install


def cli(*args: str, code: int = 0, **env: str | None):  # noqa: ANN201
    base = {"BACKPROP_URL": "http://fake", "BACKPROP_API_KEY": "bp_test", "COLUMNS": None}
    result = CliRunner().invoke(app, list(args), env=base | env)
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def lists(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v1/jobs":
        return httpx.Response(200, json=page([job(), job(RUNNING_ID, "running")]))
    models = [
        model(MODEL_ID, {"accuracy": 0.95, "val_accuracy": 0.9722, "val_loss": 0.123}),
        model(OTHER_MODEL, {"accuracy": 0.8811, "loss": 0.3}),
    ]
    return httpx.Response(200, json=page(models))


@pytest.mark.parametrize("verb", ["jobs", "models"])
def test_lists_fit_80_columns_with_the_full_id_and_short_other_ids(fake, verb):
    fake(lists)
    out = cli(verb, "list", COLUMNS="80").stdout
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80, out
    first = MODEL_ID if verb == "models" else JOB_ID
    row = next(line for line in lines if first in line)  # the full id, whole, on one line
    header = next(line for line in lines if line.startswith("id "))
    if verb == "jobs":
        assert header.split() == ["id", "status", "epoch", "loss", "val", "loss"], out
        assert row.split()[1:] == ["succeeded", "22/60", "0.01234", "0.2345"], out
        assert "hidden to fit 80 columns: created, model" in out
    else:
        assert header.split()[:3] == ["id", "task", "accuracy"], out
        assert "0.9722 (val)" in row and "0.95" not in row, out
        assert "0.8811 (train)" in out

    wide = cli(verb, "list", COLUMNS="120").stdout
    assert max(map(len, wide.splitlines())) <= 120 and "hidden" not in wide, wide
    row = next(line for line in wide.splitlines() if first in line)
    short = JOB_ID[:8] if verb == "models" else MODEL_ID[:8]
    assert short in row and "2026-11-24 01:02" in row, wide  # whole cells, one line a row
    assert (JOB_ID if verb == "models" else MODEL_ID) not in wide  # the other id is short


def test_server_text_that_looks_like_markup_is_printed_as_is(fake):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/datasets":
            return httpx.Response(
                422,
                json={"detail": "target column '[/nope]' not found; see [bold]x",
                      "errors": [{}, {"field": "[red]f", "message": "[/] m"}]},
            )  # fmt: skip
        return httpx.Response(200, json=job(error="[/oops] bad [i]thing"))

    fake(handler)
    result = cli("datasets", "list", code=1)
    assert "target column '[/nope]' not found; see [bold]x" in result.stderr
    assert "[red]f: [/] m" in result.stderr
    result = cli("jobs", "show", JOB_ID)
    assert "[/oops] bad [i]thing" in result.stdout


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        (httpx.ReadTimeout("timed out"), "http://fake did not answer in time (ReadTimeout)"),
        (httpx.RemoteProtocolError("peer closed"), "failed: RemoteProtocolError: peer closed"),
        (httpx.ConnectError("refused"), "cannot reach http://fake (refused)"),
    ],
)
def test_network_errors_are_one_line_and_exit_1(fake, problem, message):
    def handler(request: httpx.Request) -> httpx.Response:
        raise problem

    fake(handler)
    result = cli("jobs", "list", code=1)
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("url", ["http://[::1", "http://host:port", "ftp://host"])
def test_an_invalid_url_is_one_line_and_exit_1(url):
    result = cli("datasets", "list", code=1, BACKPROP_URL=url)
    assert f"invalid service URL '{url}'" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def follow_service(frames: list[tuple[str, dict[str, Any]]], final: dict[str, Any]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            return sse(*frames)
        return httpx.Response(200, json=final if frames else job(status="running"))

    return handler


def epochs(n: int) -> list[tuple[str, dict[str, Any]]]:
    frames: list[tuple[str, dict[str, Any]]] = [("status", {"status": "running"})]
    for e in range(1, n + 1):
        frames.append(("epoch", {"epoch": e, "loss": 0.5 / e, "val_loss": 0.6 / e}))
        frames.append(("progress", {"epoch": e, "epochs": 60, "eta_seconds": 30.0}))
    return frames


def test_follow_an_early_stopped_job_ends_complete_without_eta(fake):
    fake(follow_service([*epochs(22), ("end", {"status": "succeeded"})], job()))
    result = cli("jobs", "follow", JOB_ID)
    assert "22/22" in result.stderr and "22/60" not in result.stderr, result.stderr
    assert "ETA –" in result.stderr and "30s" not in result.stderr, result.stderr
    assert f"backprop models predict {MODEL_ID} --csv FILE (or --instances JSON)" in result.stdout
    assert "wine.csv" not in result.stdout


def test_follow_a_cancelled_job_keeps_its_place_and_exits_1(fake):
    cancelled = job(status="cancelled", error="cancelled by request")
    fake(follow_service([*epochs(5), ("end", {"status": "cancelled"})], cancelled))
    result = cli("jobs", "follow", JOB_ID, code=1)
    assert "5/60" in result.stderr and "ETA –" in result.stderr, result.stderr
    assert f"job {JOB_ID} cancelled: cancelled by request" in result.stderr


def test_follow_never_reports_success_for_a_job_that_has_not_ended(fake):
    fake(follow_service([], job(status="running")))  # every stream closes at once, no `end`
    result = cli("jobs", "follow", JOB_ID, code=1)
    assert "closed 6 times without an end event; the job is still running" in result.stderr
    with pytest.raises(typer.Exit) as info:
        _report(job(status="running"), quiet=True, json_out=False)
    assert info.value.exit_code == 1
