"""Structured logs: one JSON object per line, carrying the job and tenant ids in context.

    configure_logging()                       # once, in a command (`backprop up`, `worker` ...)
    with log_context(job_id=job.id, tenant_id=job.tenant_id):
        log.info("claimed")                   # -> {"message": "claimed", "job_id": ..., ...}

BACKPROP_LOG_FORMAT=text switches to plain lines, =json to JSON lines; the default, auto, is
text in a terminal and JSON otherwise. BACKPROP_LOG_LEVEL sets the level.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

import orjson

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "backprop_log_context", default=None
)
T = TypeVar("T")
_RESERVED = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def _ids() -> dict[str, Any]:
    return _context.get() or {}


def current_log_context() -> dict[str, Any]:
    """The ids bound in the current context (a copy)."""
    return dict(_ids())


@contextmanager
def log_context(**ids: Any) -> Iterator[None]:
    """Add ids (job_id=..., tenant_id=...) to every log record inside the block."""
    token = _context.set({**_ids(), **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def with_job_log_context(func: Callable[..., T]) -> Callable[..., T]:
    """Decorator for func(job_id, ...): its logs carry job_id (e.g. run_training_job)."""

    @functools.wraps(func)
    def wrapper(job_id: str, *args: Any, **kwargs: Any) -> T:
        with log_context(job_id=job_id):
            return func(job_id, *args, **kwargs)

    return wrapper


def bind_log_context(**ids: Any) -> None:
    """Add ids to the current context until the enclosing log_context() block ends."""
    _context.set({**_ids(), **{k: v for k, v in ids.items() if v is not None}})


class ContextFilter(logging.Filter):
    """Copies the context ids onto each record so any formatter can use them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _ids().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, context ids, `extra=` fields and the exception text.

    Written by orjson (the access log writes a line per request: the standard library's
    json and datetime took about a third of a line's cost); a value orjson cannot write
    (an integer beyond 64 bits, a key that is not a string) falls back to json."""

    def format(self, record: logging.LogRecord) -> str:
        out = line_head(record.created, record.levelname, record.name, record.getMessage())
        for key, value in vars(record).items():
            if key not in _RESERVED and key[:1] != "_":
                out[key] = value
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        return json_line(out)


def line_head(created: float, level: str, logger: str, message: str) -> dict[str, Any]:
    """A JSON log line's leading fields: time (created: time.time()), level, logger,
    message, then the context ids."""
    out: dict[str, Any] = {
        "time": utc_time(created),
        "level": level,
        "logger": logger,
        "message": message,
    }
    out.update(_ids())
    return out


def json_line(fields: dict[str, Any]) -> str:
    """The fields as one JSON object (orjson; json for what orjson cannot write)."""
    try:
        return orjson.dumps(fields, default=str).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(fields, default=str)


_second: tuple[int, str] = (-1, "")
"""The last whole second utc_time wrote, and its text (one tuple: read and replaced whole)."""


def utc_time(created: float) -> str:
    """A time.time() value as ISO 8601 UTC with microseconds: 2026-12-03T06:55:01.123456Z
    (the seconds' text is reused within the same second)."""
    global _second
    seconds, cached = int(created), _second
    if cached[0] != seconds:
        cached = _second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return f"{cached[1]}.{min(999999, round((created - seconds) * 1e6)):06d}Z"


class JsonLinesHandler(logging.StreamHandler):
    """The StreamHandler of JSON lines that configure_logging installs; write_line lets the
    access log write a line it formatted itself (observability.access_log)."""

    def write_line(self, line: str) -> bool:
        """Write one line (and flush) as emit would; False if the stream refused it."""
        self.acquire()
        try:
            self.stream.write(line + self.terminator)
            self.flush()
            return True
        except Exception:  # noqa: BLE001 - the caller logs the line the ordinary way
            return False
        finally:
            self.release()


class TextFormatter(logging.Formatter):
    """Plain lines for people: time, level, logger and message, context ids as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{k}={v}" for k, v in _ids().items())
        return f"{line} [{ids}]" if ids else line


LOG_FORMATS = ("auto", "json", "text")


def resolve_log_format(fmt: str | None, stream: TextIO) -> str:
    """'json' or 'text' from `fmt` or BACKPROP_LOG_FORMAT (json, text or auto; default
    auto): auto means text when `stream` is a terminal, JSON lines otherwise."""
    fmt = (fmt or os.environ.get("BACKPROP_LOG_FORMAT") or "auto").strip().lower()
    if fmt not in LOG_FORMATS:
        raise ValueError(f"BACKPROP_LOG_FORMAT must be json, text or auto, not {fmt!r}")
    if fmt == "auto":
        return "text" if stream.isatty() else "json"
    return fmt


def configure_logging(
    level: str | None = None, fmt: str | None = None, stream: TextIO | None = None
) -> str:
    """Route the root logger (and uvicorn's/celery's, but for uvicorn's access lines) to
    `stream` (stderr) as JSON or text lines (see resolve_log_format); returns the format
    used.

    Alembic's plugin set-up lines are left out; with text, also its migration steps and
    uvicorn's start-up lines, which the `backprop up` banner replaces for people."""
    stream = stream or sys.stderr
    level = (level or os.environ.get("BACKPROP_LOG_LEVEL", "INFO")).upper()
    fmt = resolve_log_format(fmt, stream)
    handler = logging.StreamHandler(stream) if fmt == "text" else JsonLinesHandler(stream)
    handler.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = name != "uvicorn.access"
    # The access line is our middleware's (observability.http). uvicorn writes its own
    # only while its access logger has handlers (it checks per connection): none, even
    # when an app factory sets up logging after uvicorn's Config did (`api --workers N`).
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    quiet = max(logging.WARNING, root.level)
    logging.getLogger("alembic.runtime.plugins").setLevel(quiet)
    for name in ("alembic", "uvicorn.error"):
        logging.getLogger(name).setLevel(quiet if fmt == "text" else logging.NOTSET)
    return fmt
