"""Refuse request bodies over a size limit with 413, counting bytes while they stream in."""

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
    a streamed body is cut off as soon as it passes the limit, so memory stays bounded."""

    def __init__(self, app: Callable, limit: Callable[[], int]) -> None:
        self.app = app
        self._limit = limit

    @property
    def limit(self) -> int:
        """The current limit (read from the settings on each request)."""
        return self._limit()

    def _too_large(self) -> HTTPException:
        return HTTPException(413, f"request body is larger than the limit of {self.limit} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._reject(scope, send)
                return
        limit = self.limit
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self._too_large()
            return message

        await self.app(scope, counting_receive, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        from service.api.errors import problem

        response = problem(413, str(self._too_large().detail), headers={"Connection": "close"})
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
