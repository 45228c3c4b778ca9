"""The access line written directly to a JSON-lines stream is the line logging would write."""

from __future__ import annotations

import io
import json
import logging

import pytest

from service.observability import configure_logging, log_context
from service.observability.access_log import direct_handler, log, write_access_line


@pytest.fixture
def json_stream():  # noqa: ANN201
    """A stream for JSON lines; each test calls configure_logging itself (pytest attaches
    its own capturing handlers to the root logger when a test's call phase starts)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield io.StringIO()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _last_line(stream: io.StringIO) -> dict:
    return json.loads(stream.getvalue().splitlines()[-1])


def test_direct_line_equals_the_logging_line(json_stream):
    configure_logging("INFO", "json", json_stream)
    assert direct_handler() is not None
    with log_context(request_id="r1"):
        write_access_line("POST", "/v1/models/m/predict", 200, 0.00123, "r1", "t1")
        direct = _last_line(json_stream)
        log.addFilter(lambda record: True)  # anything attached: the logging path
        try:
            assert direct_handler() is None
            write_access_line("POST", "/v1/models/m/predict", 200, 0.00123, "r1", "t1")
        finally:
            log.filters.clear()
    logged = _last_line(json_stream)
    assert list(direct) == list(logged)  # same keys in the same order
    assert {**direct, "time": None} == {**logged, "time": None}
    assert direct["message"] == "POST /v1/models/m/predict 200 1.2ms"
    assert direct["ms"] == 1.23 and direct["tenant_id"] == "t1" and direct["time"].endswith("Z")


def test_anything_else_attached_takes_the_logging_path(json_stream, caplog):
    configure_logging("INFO", "json", json_stream)
    logging.getLogger().addHandler(caplog.handler)  # configure_logging removed it
    assert direct_handler() is None  # caplog's handler sits beside ours
    write_access_line("GET", "/v1/jobs", 404, 0.002, "r2", None)
    assert [r.getMessage() for r in caplog.records] == ["GET /v1/jobs 404 2.0ms"]
    assert _last_line(json_stream)["status"] == 404


def test_a_level_above_info_writes_nothing(json_stream):
    configure_logging("WARNING", "json", json_stream)
    assert direct_handler() is None
    write_access_line("GET", "/v1/jobs", 200, 0.001, "r3", None)
    assert json_stream.getvalue() == ""


def test_text_format_is_not_written_directly(json_stream):
    configure_logging("INFO", "text", json_stream)
    assert direct_handler() is None
