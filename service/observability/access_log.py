"""The access log: one line per HTTP request on the `service.access` logger.

A line goes through `logging` (records, filters, handlers) unless the process logs the
standard way for a server, JSON lines to one stream as configure_logging sets up and
nothing else attached: then the same JSON object is written to that stream directly. The
record machinery cost a one-row predict about 40 of its ~400 us in process; the direct
line costs a few. Anything else attached (pytest's caplog, a text format, another handler
or filter, a level that drops INFO) takes the logging path, so it sees every line.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from service.observability.logging import (
    ContextFilter,
    JsonFormatter,
    JsonLinesHandler,
    json_line,
    line_head,
)

log = logging.getLogger("service.access")


def write_access_line(
    method: str, path: str, status: int, elapsed: float, request_id: str, tenant_id: str | None
) -> None:
    """Log `METHOD path status 1.2ms` with those fields (elapsed in seconds)."""
    ms = elapsed * 1e3
    extra: dict[str, Any] = {"method": method, "path": path, "status": status}
    extra.update(ms=round(ms, 2), request_id=request_id)
    if tenant_id:
        extra["tenant_id"] = tenant_id
    handler = direct_handler()
    if handler is not None:
        line = line_head(time.time(), "INFO", log.name, f"{method} {path} {status} {ms:.1f}ms")
        line.update(extra)
        if handler.write_line(json_line(line)):
            return
    log.info("%s %s %s %.1fms", method, path, status, ms, extra=extra)


def direct_handler() -> JsonLinesHandler | None:
    """The handler to write access lines to directly, if logging is set up the standard
    way (see the module); None otherwise."""
    if not log.isEnabledFor(logging.INFO):
        return None
    logger: Any = log
    root = logging.getLogger()
    while logger is not root:
        if logger.handlers or logger.filters or not logger.propagate or logger.parent is None:
            return None
        logger = logger.parent
    if len(root.handlers) != 1 or root.filters:
        return None
    handler = root.handlers[0]
    if (
        type(handler) is not JsonLinesHandler
        or handler.level > logging.INFO
        or type(handler.formatter) is not JsonFormatter
        or len(handler.filters) != 1
        or type(handler.filters[0]) is not ContextFilter
    ):
        return None
    return handler
