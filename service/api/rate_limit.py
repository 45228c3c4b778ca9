"""Requests per API key per minute: a sliding window of 60 s, 429 with Retry-After above it.

:class:`RateLimiter` counts in this process. :class:`SharedRateLimiter` counts in Redis (one
sorted set per key, checked and updated by one Lua script on Redis's clock), so every API
process behind a load balancer shares one budget per key. When Redis cannot be reached it
falls back to the in-process count for ``retry_seconds`` and then tries Redis again: a broker
outage must not take the API down (a job POSTed meanwhile is still accepted).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict, deque
from typing import Any

from fastapi import HTTPException

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0

# KEYS[1] = the key's window; ARGV = limit, window (ms), unique member.
# Returns {1, 0} when admitted, else {0, ms until the oldest counted request leaves}.
SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
"""


def too_many(per_minute: int, retry_seconds: float) -> HTTPException:
    """The 429 for a key over its budget."""
    return HTTPException(
        429,
        f"rate limit of {per_minute} requests per minute for this key exceeded",
        headers={"Retry-After": str(max(1, math.ceil(retry_seconds)))},
    )


class RateLimiter:
    """Per-key sliding window of one minute, counted in this process."""

    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.per_minute = per_minute
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, key_id: str) -> None:
        """Count one request for the key; 429 with Retry-After when over the limit."""
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get(key_id)
            if hits is None:
                hits = self._hits[key_id] = deque()
                if len(self._hits) > self.max_keys:
                    self._hits.popitem(last=False)
            while hits and now - hits[0] >= WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_minute:
                raise too_many(self.per_minute, WINDOW_SECONDS - (now - hits[0]))
            hits.append(now)

    async def acheck(self, key_id: str) -> None:
        """:meth:`check` for the event loop (nothing here blocks)."""
        self.check(key_id)


class SharedRateLimiter:
    """Per-key sliding window of one minute shared by all API processes through Redis."""

    def __init__(
        self,
        per_minute: int,
        redis_url: str,
        *,
        prefix: str = "backprop:ratelimit:",
        timeout_seconds: float = 0.25,
        retry_seconds: float = 5.0,
    ) -> None:
        import redis

        self.prefix = prefix
        self.retry_seconds = retry_seconds
        self.local = RateLimiter(per_minute)
        self._url = redis_url
        self._opts: dict[str, Any] = {
            "socket_timeout": timeout_seconds,
            "socket_connect_timeout": timeout_seconds,
        }
        self._sync = redis.Redis.from_url(redis_url, **self._opts)
        self._script = self._sync.register_script(SLIDING_WINDOW_LUA)
        self._async: Any = None  # per event loop: an asyncio client cannot change loops
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._ascript: Any = None
        self._down_until = 0.0
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)

    @property
    def per_minute(self) -> int:
        return self.local.per_minute

    @per_minute.setter
    def per_minute(self, value: int) -> None:
        self.local.per_minute = value

    def _async_script(self) -> Any:
        import redis.asyncio

        loop = asyncio.get_running_loop()
        if self._async_loop is not loop:
            self._async = redis.asyncio.Redis.from_url(self._url, **self._opts)
            self._ascript = self._async.register_script(SLIDING_WINDOW_LUA)
            self._async_loop = loop
        return self._ascript

    def _args(self, key_id: str) -> tuple[list[str], list[Any]]:
        window_ms = int(WINDOW_SECONDS * 1000)
        return [self.prefix + key_id], [self.per_minute, window_ms, uuid.uuid4().hex]

    def _verdict(self, reply: list[Any]) -> None:
        admitted, wait_ms = int(reply[0]), int(reply[1])
        if not admitted:
            raise too_many(self.per_minute, wait_ms / 1000.0)

    def _use_local(self) -> bool:
        return time.monotonic() < self._down_until

    def _went_down(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + self.retry_seconds
        log.warning(
            "rate limiter: Redis unreachable (%s); counting in this process for %.0f s",
            exc,
            self.retry_seconds,
        )

    def check(self, key_id: str) -> None:
        """Count one request for the key (blocking; for worker threads)."""
        if self.per_minute <= 0:
            return
        if not self._use_local():
            try:
                keys, args = self._args(key_id)
                return self._verdict(self._script(keys=keys, args=args))
            except self._errors as exc:
                self._went_down(exc)
        self.local.check(key_id)

    async def acheck(self, key_id: str) -> None:
        """Count one request for the key without blocking the event loop."""
        if self.per_minute <= 0:
            return
        if not self._use_local():
            try:
                keys, args = self._args(key_id)
                return self._verdict(await self._async_script()(keys=keys, args=args))
            except self._errors as exc:
                self._went_down(exc)
        self.local.check(key_id)

    async def aclose(self) -> None:
        """Close the connection pools."""
        if self._async is not None and self._async_loop is asyncio.get_running_loop():
            await self._async.aclose()
        self._sync.close()


def build_rate_limiter(
    per_minute: int, broker_url: str | None, shared: bool
) -> RateLimiter | SharedRateLimiter:
    """The shared limiter when ``shared`` and the broker is Redis, else the in-process one."""
    if shared and broker_url and broker_url.startswith(("redis://", "rediss://")):
        return SharedRateLimiter(per_minute, broker_url)
    return RateLimiter(per_minute)
