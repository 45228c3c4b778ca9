"""App factories for the supervisor tests (tests/cli/test_workers.py), imported by name in
the spawned server processes."""

from __future__ import annotations

import os


def pid_app():
    """An ASGI app answering every request with its process id."""

    async def app(scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        body = str(os.getpid()).encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def broken_app():
    """A factory that fails, as an app whose settings or database are wrong would."""
    raise RuntimeError("this app cannot be built")
