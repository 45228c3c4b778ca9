"""Run the API under uvicorn, and what `backprop up` says when it starts.

In a terminal, `up` prints a short banner once the server listens (URL, dashboard, docs,
key file); otherwise it prints plain `name: value` lines before starting, for logs.
"""

from __future__ import annotations

import gc
import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

import typer
import uvicorn
from fastapi import FastAPI

from service.config import Settings

log = logging.getLogger(__name__)
BODY_READ_AHEAD = 2 * 1024 * 1024
"""Bytes of a request body uvicorn reads ahead of the app before it pauses the socket
(its HIGH_WATER_LIMIT, 64 KiB by default). Each pause and resume is an event-loop round
trip: a 31 MB body took a raw ASGI app 33-43 ms at 64 KiB, 15-17 ms at 2 MiB (median of 15
posts; 1 MiB 19-29 ms, 4 MiB 19-21 ms). Bounds the memory each connection holds beyond
what the app has taken."""


def widen_body_read_ahead(limit: int = BODY_READ_AHEAD) -> None:
    """Set uvicorn's body read-ahead (see BODY_READ_AHEAD) in this process, for both of its
    HTTP/1.1 protocols; a uvicorn without the knob keeps its own (logged)."""
    from uvicorn.protocols.http import h11_impl, httptools_impl

    for module in (httptools_impl, h11_impl):
        if isinstance(getattr(module, "HIGH_WATER_LIMIT", None), int):
            module.HIGH_WATER_LIMIT = limit  # read at each body chunk
        else:
            log.warning("%s has no HIGH_WATER_LIMIT; body read-ahead unchanged", module.__name__)


def freeze_startup_objects() -> None:
    """Collect, then gc.freeze(): what import and start-up made (modules, the app, its
    schemas) is never scanned by the cyclic collector again, so the full collections that
    requests trigger stay short. Measured on the one-row predict under wrk (16 connections,
    4 x 5 s each, quiet machine): p99 15.1 ms without, 8.1 ms with (11.6 ms frozen without
    collecting first). Only in a server process: a test process builds hundreds of apps,
    and frozen cycles are never freed."""
    gc.collect()
    gc.freeze()


class _Server(uvicorn.Server):
    """uvicorn's server, calling `on_started` once it listens (start-up objects frozen)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None) -> None:
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            freeze_startup_objects()
        if self.started and self.on_started is not None:
            self.on_started()


def serve(
    app: FastAPI,
    host: str,
    port: int,
    settings: Settings,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Serve `app` until SIGINT or SIGTERM; open requests get shutdown_grace_seconds."""
    widen_body_read_ahead()
    config = uvicorn.Config(app, **server_options(host, port, settings.shutdown_grace_seconds))
    _Server(config, on_started).run()


def server_options(host: str, port: int, grace: float) -> dict[str, Any]:
    """uvicorn's options for every server process of the service: our logging (the access
    line comes from our middleware) and `grace` seconds for open requests at shutdown (open
    event streams end with the job; they must not hold a shutdown, and the embedded
    worker's checkpoint-and-release, hostage)."""
    return {
        "host": host,
        "port": port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": grace,
    }


def serve_workers(factory: str, host: str, port: int, settings: Settings, workers: int) -> None:
    """Serve the app that `factory` ("module:function") builds in `workers` processes, each
    on a listening socket of its own where the kernel balances them (cli/workers.py),
    else under uvicorn's supervisor on one shared socket."""
    from service.cli.workers import Supervisor, balances_reuse_port

    grace = settings.shutdown_grace_seconds
    if balances_reuse_port():
        try:
            code = Supervisor(factory, host, port, grace, workers).run()
        except OSError as exc:  # the port is taken, or the host is not this machine's
            typer.echo(f"cannot listen on {host}:{port}: {exc}", err=True)
            code = 1
        raise typer.Exit(code)
    uvicorn.run(factory, factory=True, workers=workers, **server_options(host, port, grace))


def startup_lines(settings: Settings, host: str, port: int, key: str | None) -> list[str]:
    """The plain start-up lines (not a terminal): one `name: value` fact per line."""
    base = f"http://{host}:{port}"
    lines = [
        f"Backprop Service on {base}  (docs: {base}/docs)",
        f"dashboard: {base}/",
        f"database: {settings.sqlalchemy_url.split('@')[-1]}",
        "worker: " + ("Celery via broker" if settings.broker_url else "embedded"),
    ]
    if key:
        lines.append(f"API key (saved in {settings.api_key_file}): {key}")
    return lines


def banner(settings: Settings, host: str, port: int, key: str | None, new_key: bool) -> str:
    """The short banner for a terminal, printed once the server listens."""
    base = f"http://{host}:{port}"
    worker = "Celery workers" if settings.broker_url else "an embedded worker"
    rows = [
        ("API", base),
        ("dashboard", f"{base}/"),
        ("docs", f"{base}/docs"),
        ("key file", str(settings.api_key_file) if key else "none: `backprop keys create`"),
    ]
    if key and new_key:
        rows.append(("new key", key))
    lines = [f"Backprop Service is running, with {worker}", ""]
    lines += [f"  {name:<10} {value}" for name, value in rows]
    lines += ["", "Press Ctrl-C to stop (a running job resumes at the next start).", ""]
    return "\n".join(lines)


def announce(
    settings: Settings, host: str, port: int, key: str | None, new_key: bool
) -> Callable[[], None] | None:
    """Print the start-up facts; in a terminal, return the callback that prints the banner
    once the server listens (nothing is printed before then)."""
    if sys.stdout.isatty():
        text = banner(settings, host, port, key, new_key)
        return lambda: typer.echo(text)
    for line in startup_lines(settings, host, port, key):
        typer.echo(line)
    return None
