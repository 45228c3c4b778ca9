"""Cheap gates before and while a request body is read: a key must be present (401), the
body must fit its size limit (413, counted while it streams in), must not stall (408), and
a JSON body must not repeat a key (422). A client that leaves mid-body is a logged warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from service.api.json_keys import duplicate_key
from service.observability.asgi import HttpMiddleware

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
log = logging.getLogger(__name__)
INLINE_CHECK_BYTES = 64 * 1024
"""JSON bodies up to this size are checked for duplicate keys on the event loop."""
CLIENT_GONE = 499
"""Status noted (in the access log) for a request whose client left mid-body."""


class BodyLimitMiddleware(HttpMiddleware):
    """ASGI middleware: a declared Content-Length over the limit is refused before reading;
    a streamed body is cut off as soon as it passes the limit, so memory stays bounded.
    While a declared body is incomplete, each wait for its next part is bounded by
    ``timeout()`` seconds (408 with Connection: close), and a disconnect is logged as a
    warning (noted as status 499). A complete JSON body is checked for repeated keys.

    ``limit(scope)`` gives the limit of each request (read from the live settings), so
    dataset uploads may be large while everything else stays small.
    """

    def __init__(
        self,
        app: Callable,
        limit: Callable[[Scope], int],
        timeout: Callable[[], float] = lambda: 30.0,
    ) -> None:
        super().__init__(app)
        self.limit, self.timeout = limit, timeout

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared, json_body = False, True
        limit = self.limit(scope)
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > limit:
                    await _reject(scope, send, 413, _too_large(limit))
                    return
                declared = declared or value != b"0"
            elif name == b"transfer-encoding":
                declared = True
            elif name == b"content-type":
                media = value.split(b";", 1)[0].strip().lower()
                json_body = media == b"application/json" or media.endswith(b"+json")
        if not declared:
            await self.app(scope, receive, send)
            return
        await self.app(scope, _BodyReader(receive, limit, self.timeout(), json_body), send)


class _BodyReader:
    """The receive callable of one request with a declared body (see the middleware)."""

    def __init__(self, receive: Receive, limit: int, timeout: float, json_body: bool) -> None:
        self.receive, self.limit, self.timeout = receive, limit, timeout
        self.seen, self.done = 0, False
        self.chunks: list[bytes] | None = [] if json_body else None

    async def __call__(self) -> Message:
        if self.done:
            return await self.receive()
        try:
            async with asyncio.timeout(self.timeout if self.timeout > 0 else None):
                message = await self.receive()
        except TimeoutError:
            raise HTTPException(
                408,
                f"the request body stalled: nothing arrived for {self.timeout:g} s "
                "(BACKPROP_BODY_TIMEOUT_SECONDS)",
                headers={"Connection": "close"},
            ) from None
        if message["type"] == "http.disconnect":
            log.warning("client disconnected after %d bytes of the request body", self.seen)
            raise HTTPException(CLIENT_GONE, "client disconnected while sending the body")
        if message["type"] == "http.request":
            body = message.get("body", b"")
            self.seen += len(body)
            if self.seen > self.limit:
                raise HTTPException(413, _too_large(self.limit))
            if self.chunks is not None:
                self.chunks.append(body)
            if not message.get("more_body", False):
                self.done = True
                await self._check_keys()
        return message

    async def _check_keys(self) -> None:
        if self.chunks is None:
            return
        body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks = None
        if len(body) <= INLINE_CHECK_BYTES:
            key = duplicate_key(body)
        else:
            key = await run_in_threadpool(duplicate_key, body)
        if key is not None:
            raise HTTPException(422, f"body: the key {key[:100]!r} appears more than once")


def _too_large(limit: int) -> str:
    return f"request body is larger than the limit of {limit} bytes"


class KeyRequiredMiddleware(HttpMiddleware):
    """ASGI middleware: a /v1 request without ``Authorization: Bearer ...`` is 401 at once,
    before its body is read or parsed (the key itself is verified by the route)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith("/v1/"):
            auth = b""
            for name, value in scope["headers"]:
                if name == b"authorization":
                    auth = value
                    break
            scheme, _, token = auth.partition(b" ")
            if scheme.lower() != b"bearer" or not token.strip():
                await _reject(
                    scope,
                    send,
                    401,
                    "missing API key: send 'Authorization: Bearer <key>'",
                    {"WWW-Authenticate": "Bearer"},
                )
                return
        await self.app(scope, receive, send)


async def _reject(
    scope: Scope, send: Send, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    """Answer with a problem response without reading the request body."""
    from service.api.errors import problem

    response = problem(status, detail, headers={"Connection": "close", **(headers or {})})
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
