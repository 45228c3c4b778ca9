"""Cheap gates before a request body is read: a key must be present (401) and the body
must fit its size limit (413, counted while it streams in)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyLimitMiddleware:
    """ASGI middleware: a declared Content-Length over the limit is refused before reading;
    a streamed body is cut off as soon as it passes the limit, so memory stays bounded.

    ``limit(scope)`` gives the limit of each request (read from the live settings), so
    dataset uploads may be large while everything else stays small.
    """

    def __init__(self, app: Callable, limit: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit = limit

    @staticmethod
    def _too_large(limit: int) -> HTTPException:
        return HTTPException(413, f"request body is larger than the limit of {limit} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _reject(scope, send, 413, str(self._too_large(limit).detail))
                return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self._too_large(limit)
            return message

        await self.app(scope, counting_receive, send)


class KeyRequiredMiddleware:
    """ASGI middleware: a /v1 request without ``Authorization: Bearer ...`` is 401 at once,
    before its body is read or parsed (the key itself is verified by the route)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith("/v1/"):
            auth = dict(scope.get("headers", [])).get(b"authorization", b"")
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
