"""Cheap gates before and while a request body is read: a key must be present (401), the
body must fit its size limit (413, counted while it streams in), must not stall (408), and
a JSON body must not repeat a key (422). A client that leaves mid-body is a logged warning.
`read_body` reads a whole body through these gates into one buffer (BodyBuffer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from service.api.body_buffer import BodyBuffer
from service.api.deps import scope_bearer_key
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
BODY_READER = "backprop.body_reader"
"""The scope key of a request's body reader (set for a declared body), for read_body."""


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
        declared, json_body, size = False, True, None
        limit = self.limit(scope)
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > limit:
                    await _reject(scope, send, 413, _too_large(limit))
                    return
                size = int(value) if value.isdigit() else None
                declared = declared or value != b"0"
            elif name == b"transfer-encoding":
                declared = True
            elif name == b"content-type":
                media = value.split(b";", 1)[0].strip().lower()
                json_body = media == b"application/json" or media.endswith(b"+json")
        if not declared:
            await self.app(scope, receive, send)
            return
        reader = _BodyReader(receive, limit, self.timeout(), json_body, size)
        scope[BODY_READER] = reader
        await self.app(scope, reader, send)


class _BodyReader:
    """The receive callable of one request with a declared body (see the middleware). A
    JSON body is gathered in a BodyBuffer for the repeated-key check; `read_into` gathers
    any body in the caller's buffer instead."""

    def __init__(
        self, receive: Receive, limit: int, timeout: float, json_body: bool, size: int | None
    ) -> None:
        self.receive, self.limit, self.timeout = receive, limit, timeout
        self.seen, self.done, self.json_body, self.quotes = 0, False, json_body, 0
        self.size: int | None = size
        self.buffer: BodyBuffer | None = None

    async def read_into(self, buffer: BodyBuffer) -> None:
        """Read the whole body into `buffer`."""
        if self.seen or self.done:
            raise RuntimeError("the request body was already read in part")
        self.buffer = buffer
        while not self.done:
            await self()

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
            if self.buffer is None and self.json_body:
                self.buffer = BodyBuffer(self.size)
            if self.buffer is not None:
                self.buffer.add(body)
            if self.json_body and self.quotes <= 2:
                self.quotes += _quotes(body)
            if not message.get("more_body", False):
                self.done = True
                await self._check_keys()
        return message

    async def _check_keys(self) -> None:
        if self.buffer is None or not self.json_body or self.quotes <= 2:
            return  # at most one quoted string: at most one key (a predict body of numbers)
        body = bytes(self.buffer.view())
        if len(body) <= INLINE_CHECK_BYTES:
            key = duplicate_key(body)
        else:
            key = await run_in_threadpool(duplicate_key, body)
        if key is not None:
            raise HTTPException(422, f"body: the key {key[:100]!r} appears more than once")


def _quotes(chunk: bytes) -> int:
    """The quotes in a chunk, counted up to 3 (memchr: a body of numbers has none)."""
    n, at = 0, chunk.find(b'"')
    while at >= 0 and n < 3:
        n, at = n + 1, chunk.find(b'"', at + 1)
    return n


async def read_body(scope: Scope, receive: Receive, buffer: BodyBuffer) -> None:
    """Read the request body into `buffer`, through the gates of BodyLimitMiddleware (its
    413, 408, 499 and 422 are raised as HTTPException). A request without a declared body
    has an empty one."""
    reader = scope.get(BODY_READER)
    if isinstance(reader, _BodyReader):
        await reader.read_into(buffer)
        return
    while True:  # no body declared: one empty message
        message = await receive()
        if message["type"] != "http.request":
            raise HTTPException(CLIENT_GONE, "client disconnected while sending the body")
        buffer.add(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _too_large(limit: int) -> str:
    return f"request body is larger than the limit of {limit} bytes"


class KeyRequiredMiddleware(HttpMiddleware):
    """ASGI middleware: a /v1 request without ``Authorization: Bearer ...`` is 401 at once,
    before its body is read or parsed (the key itself is verified by the route)."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith("/v1/"):
            if scope_bearer_key(scope) is None:
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
