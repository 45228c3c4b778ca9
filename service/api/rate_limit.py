"""Requests per API key per minute: a sliding window of 60 s, 429 with Retry-After above it.

:class:`RateLimiter` counts in this process. :class:`SharedRateLimiter` counts in Redis (one
sorted set per key, updated by one Lua script on Redis's clock), so every API process
behind a load balancer shares one budget per key; requests never wait for Redis (see the
class). When Redis cannot be reached it falls back to the in-process count for
``retry_seconds`` and then tries Redis again: a broker outage must not take the API down (a
job POSTed meanwhile is still accepted).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass

from fastapi import HTTPException

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0

# KEYS[1] = the key's window; ARGV = requests to add, window (ms), unique member prefix.
# Returns {requests now in the window, ms until the oldest of them leaves it}.
SYNC_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. i)
end
if n > 0 then
  redis.call('PEXPIRE', KEYS[1], window)
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = 0
if oldest[2] then
  wait = tonumber(oldest[2]) + window - now
end
return {redis.call('ZCARD', KEYS[1]), wait}
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


@dataclass
class _KeyView:
    """What this process knows of one key's window."""

    count: int = 0  # requests in the window at the last sync, all processes (ours included)
    wait_ms: float = 0.0  # then: until the oldest of them leaves the window
    synced_at: float = 0.0  # time.monotonic() of that sync
    pending: int = 0  # admitted here since, not yet counted in Redis


class SharedRateLimiter:
    """Per-key sliding window of one minute shared by all API processes through Redis.

    Requests never wait for Redis: each is admitted or refused from this process's view
    (the key's count at the last sync plus what it admitted since), and a background
    thread sends the new requests and reads the key's count back every ``sync_seconds``.
    So N processes may together admit up to about N x (requests per key per sync interval)
    beyond the limit before all of them see it.
    """

    def __init__(
        self,
        per_minute: int,
        redis_url: str,
        *,
        prefix: str = "backprop:ratelimit:",
        sync_seconds: float = 0.05,
        timeout_seconds: float = 0.25,
        retry_seconds: float = 5.0,
    ) -> None:
        import redis

        self.prefix = prefix
        self.sync_seconds = sync_seconds
        self.retry_seconds = retry_seconds
        self.local = RateLimiter(per_minute)
        self._redis = redis.Redis.from_url(
            redis_url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        self._script = self._redis.register_script(SYNC_LUA)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._views: dict[str, _KeyView] = {}
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def per_minute(self) -> int:
        return self.local.per_minute

    @per_minute.setter
    def per_minute(self, value: int) -> None:
        self.local.per_minute = value

    def check(self, key_id: str) -> None:
        """Count one request for the key; 429 with Retry-After when over the limit."""
        if self.per_minute <= 0:
            return
        if time.monotonic() < self._down_until:
            self.local.check(key_id)
            return
        self._start()
        with self._lock:
            view = self._views.setdefault(key_id, _KeyView())
            if view.count + view.pending >= self.per_minute:
                waited = (time.monotonic() - view.synced_at) * 1000.0
                raise too_many(self.per_minute, (view.wait_ms - waited) / 1000.0)
            view.pending += 1

    def sync(self) -> None:
        """Send every key's new requests to Redis and read its count back (what the
        background thread does every ``sync_seconds``)."""
        with self._lock:
            todo = [
                (key, view, view.pending)
                for key, view in self._views.items()
                if view.pending or 2 * view.count >= self.per_minute  # new, or near the limit
            ]
            for _, view, _ in todo:
                view.pending = 0
        window_ms = int(WINDOW_SECONDS * 1000)
        for i, (key, view, sent) in enumerate(todo):
            try:
                count, wait_ms = self._script(
                    keys=[self.prefix + key], args=[sent, window_ms, uuid.uuid4().hex]
                )
            except self._errors as exc:
                self._went_down(exc, [(v, n) for _, v, n in todo[i:]])
                return
            with self._lock:
                view.count, view.wait_ms = int(count), float(wait_ms)
                view.synced_at = time.monotonic()
                if not view.pending and view.count == 0:
                    self._views.pop(key, None)

    def _went_down(self, exc: BaseException, unsent: list[tuple[_KeyView, int]]) -> None:
        with self._lock:
            for view, n in unsent:
                view.pending += n  # sent once Redis is back
        self._down_until = time.monotonic() + self.retry_seconds
        log.warning(
            "rate limiter: Redis unreachable (%s); counting in this process for %.0f s",
            exc,
            self.retry_seconds,
        )

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="rate-limit-sync", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.sync_seconds):
            if time.monotonic() >= self._down_until:
                self.sync()

    def close(self) -> None:
        """Send what is pending, stop the background thread and close the connections."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if time.monotonic() >= self._down_until:
            self.sync()
        self._redis.close()


def build_rate_limiter(
    per_minute: int, broker_url: str | None, shared: bool
) -> RateLimiter | SharedRateLimiter:
    """The shared limiter when ``shared`` and the broker is Redis, else the in-process one."""
    if shared and broker_url and broker_url.startswith(("redis://", "rediss://")):
        return SharedRateLimiter(per_minute, broker_url)
    return RateLimiter(per_minute)
