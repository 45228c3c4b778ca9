"""Structured logs: JSON lines with the job and tenant ids of the current context."""

from __future__ import annotations

import io
import json
import logging

import pytest

from service.observability import (
    bind_log_context,
    configure_logging,
    log_context,
    with_job_log_context,
)
from service.observability.logging import current_log_context


@pytest.fixture
def restore_root_logger():  # noqa: ANN201
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def lines(capsys) -> list[str]:  # noqa: ANN001
    return [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]


def test_json_lines_carry_context_ids(capsys, restore_root_logger):
    configure_logging("INFO", "json")
    log = logging.getLogger("service.test")
    with log_context(job_id="j1", tenant_id="t1"):
        log.info("epoch %d done", 3, extra={"loss": 0.5})
        with log_context(request_id="r1"):
            bind_log_context(attempt=2)
            log.warning("inner")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    log.info("outside")
    first, inner, failed, outside = (json.loads(ln) for ln in lines(capsys))
    assert first["message"] == "epoch 3 done" and first["level"] == "INFO"
    assert first["job_id"] == "j1" and first["tenant_id"] == "t1" and first["loss"] == 0.5
    assert first["logger"] == "service.test" and first["time"].endswith("Z")
    assert inner["request_id"] == "r1" and inner["attempt"] == 2 and inner["job_id"] == "j1"
    assert "attempt" not in failed and "ValueError: boom" in failed["exc_info"]
    assert "job_id" not in outside and current_log_context() == {}


def test_text_format_and_level(capsys, restore_root_logger):
    configure_logging("WARNING", "text")
    log = logging.getLogger("service.test")
    with log_context(job_id="j2"):
        log.info("hidden")
        log.warning("shown")
    (line,) = lines(capsys)
    assert "WARNING service.test: shown" in line and line.endswith("[job_id=j2]")


def test_requests_get_a_request_id_and_an_access_line(app_client, caplog):
    caplog.set_level(logging.INFO, logger="service.access")
    r = app_client.get("/v1/jobs")
    assert len(r.headers["x-request-id"]) == 16
    r = app_client.get("/v1/jobs", headers={"X-Request-ID": "abc"})
    assert r.headers["x-request-id"] == "abc"
    record = [r for r in caplog.records if r.name == "service.access"][-1]
    assert (record.method, record.path, record.status) == ("GET", "/v1/jobs", 200)
    assert record.tenant_id and record.request_id == "abc"


def test_job_decorator_binds_job_and_tenant(capsys, restore_root_logger):
    configure_logging("INFO", "json")

    @with_job_log_context
    def run(job_id: str, tenant_id: str) -> str:
        logging.getLogger("service.runner").info("claimed")
        bind_log_context(tenant_id=tenant_id)
        logging.getLogger("service.runner").info("training")
        return "succeeded"

    assert run("j9", "t9") == "succeeded"
    logging.getLogger("service.runner").info("after")
    claimed, training, after = (json.loads(ln) for ln in lines(capsys))
    assert claimed["job_id"] == "j9" and "tenant_id" not in claimed
    assert training["job_id"] == "j9" and training["tenant_id"] == "t9"
    assert "job_id" not in after and "tenant_id" not in after


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_auto_format_is_text_on_a_terminal_and_json_elsewhere(monkeypatch, restore_root_logger):
    monkeypatch.delenv("BACKPROP_LOG_FORMAT", raising=False)
    for tty, expected in ((True, "text"), (False, "json")):
        stream = Stream(tty)
        assert configure_logging("INFO", stream=stream) == expected
        logging.getLogger("alembic.runtime.migration").info("Running upgrade")
        logging.getLogger("service.test").info("hello")
        out = stream.getvalue().splitlines()
        if expected == "text":  # migration steps are left out for people
            assert len(out) == 1 and "INFO service.test: hello" in out[0], out
        else:
            assert [json.loads(line)["message"] for line in out] == ["Running upgrade", "hello"]
    monkeypatch.setenv("BACKPROP_LOG_FORMAT", "json")
    assert configure_logging("INFO", stream=Stream(True)) == "json"
    monkeypatch.setenv("BACKPROP_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="json, text or auto, not 'xml'"):
        configure_logging("INFO", stream=Stream(True))


def test_uvicorn_writes_no_access_line_of_its_own(restore_root_logger):
    """uvicorn logs an access line per request while its access logger has handlers; the
    service writes its own, so that logger has none, even when logging is set up after
    uvicorn's Config was made (the app factory of `api --workers N`)."""
    import uvicorn

    uvicorn.Config("service.cli.server:api_app", factory=True, log_config=None, access_log=False)
    configure_logging("INFO", "json", io.StringIO())
    assert not logging.getLogger("uvicorn.access").hasHandlers()
    assert logging.getLogger("uvicorn.error").hasHandlers()  # its other lines still go out
