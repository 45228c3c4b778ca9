"""The deliverer: POSTs due outbox rows, signed, and schedules retries with backoff.

Runs as a thread in every Celery worker and in the embedded process. The database is the
source of truth: a delivery is claimed attempt by attempt with a conditional UPDATE, and its
outcome is written back; a deliverer that dies loses nothing (a claimed attempt whose
outcome was never written is sent again once its hold runs out).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed

import httpx

from service import __version__
from service.config import Settings
from service.db import webhooks_repo
from service.db.retry import run_in_session
from service.db.session import session_factory
from service.events.signing import sign
from service.events.ssrf import RESOLVE_SECONDS, UnsafeUrl, check_url

log = logging.getLogger(__name__)
HOLD_MARGIN_SECONDS = 30.0
"""A claimed attempt is held this long past the send's time-out before it may be resent."""
PRUNE_EVERY_SECONDS = 3600.0
STOP_MARGIN_SECONDS = 5.0
"""Besides a send and its look-up, what a stopping pass may take (its database writes)."""


def deliverer_identity() -> str:
    """host:pid:random, the claimer name of one deliverer."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def send(claimed: webhooks_repo.Claimed, settings: Settings) -> tuple[int | None, str | None]:
    """POST the event to its webhook: (HTTP status or None, error or None when a 2xx).

    The URL passes the SSRF guard again, and the request goes to exactly the address that
    was checked (the Host header and TLS name stay the URL's); redirects are not followed.
    """
    try:
        target = check_url(claimed.url, allow_private=settings.webhook_allow_private)
    except UnsafeUrl as exc:
        return None, str(exc)
    url = httpx.URL(claimed.url)
    body = claimed.body.encode()
    headers = {
        "Host": url.netloc.decode("ascii"),
        "Content-Type": "application/json",
        "User-Agent": f"Backprop-Webhooks/{__version__}",
        "X-Backprop-Event": claimed.event,
        "X-Backprop-Delivery": claimed.event_id,
        "X-Backprop-Signature": sign(claimed.secret, body),
    }
    timeout = settings.webhook_timeout_seconds
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST",
                url.copy_with(host=target.address),
                content=body,
                headers=headers,
                extensions={"sni_hostname": target.host},
            ) as response,
        ):
            code = response.status_code
    except httpx.TimeoutException:
        return None, f"no answer within {timeout:g} s"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return code, None if 200 <= code < 300 else f"answered HTTP {code}"


def deliver_due(settings: Settings, owner: str, pool: ThreadPoolExecutor) -> int:
    """Claim up to webhook_concurrency due attempts, send them at once, record each
    outcome; returns how many were sent."""
    url = settings.sqlalchemy_url
    hold = settings.webhook_timeout_seconds + RESOLVE_SECONDS + HOLD_MARGIN_SECONDS
    with session_factory(url)() as session:
        due = webhooks_repo.due_deliveries(session, settings.webhook_concurrency)
        claims = [webhooks_repo.claim(session, d, attempts, owner, hold) for d, attempts in due]
    sending = {pool.submit(send, c, settings): c for c in claims if c is not None}
    for future in as_completed(sending):
        claimed = sending[future]
        code, error = future.result()
        outcome = run_in_session(
            url,
            lambda s, c=claimed, code=code, error=error: webhooks_repo.record_attempt(
                s,
                c,
                owner,
                status_code=code,
                error=error,
                max_attempts=settings.webhook_max_attempts,
                first_backoff=settings.webhook_backoff_seconds,
            ),
            what="record webhook attempt",
        )
        log.info(
            "webhook %s event %s (%s) attempt %d: %s%s",
            claimed.webhook_id,
            claimed.event_id,
            claimed.event,
            claimed.attempt,
            outcome or "superseded",
            f" ({error})" if error else "",
        )
    return len(sending)


class Deliverer(threading.Thread):
    """Runs deliver_due until stopped, resting webhook_poll_seconds when nothing is due."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="backprop-deliverer", daemon=True)
        self.settings = settings
        self.owner = deliverer_identity()
        self.stopped = threading.Event()
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, settings.webhook_concurrency), thread_name_prefix="backprop-hook"
        )

    def run(self) -> None:
        pruned_at = -PRUNE_EVERY_SECONDS
        while not self.stopped.is_set():
            try:
                if time.monotonic() - pruned_at >= PRUNE_EVERY_SECONDS:
                    pruned_at = time.monotonic()
                    self.prune()
                sent = deliver_due(self.settings, self.owner, self.pool)
            except Exception:
                log.exception("webhook delivery pass failed")
                sent = 0
            if not sent:
                self.stopped.wait(self.settings.webhook_poll_seconds)
        self.pool.shutdown(wait=False)

    def prune(self) -> None:
        """Forget deliveries older than webhook_retention_days (hourly)."""
        days = self.settings.webhook_retention_days
        if days > 0:
            with session_factory(self.settings.sqlalchemy_url)() as session:
                pruned = webhooks_repo.prune_finished(session, days)
            if pruned:
                log.info("deleted %d webhook deliveries older than %g days", pruned, days)

    def stop(self) -> None:
        """Stop after the sends in flight (each ends within the time-out); an attempt
        claimed but not recorded is sent again by a deliverer once its hold runs out."""
        self.stopped.set()

    def wait_stopped(self) -> bool:
        """After stop(): join the thread, waiting at most one pass (a send's time-out, its
        look-up and STOP_MARGIN_SECONDS); True when it has ended."""
        settings = self.settings
        self.join(settings.webhook_timeout_seconds + RESOLVE_SECONDS + STOP_MARGIN_SECONDS)
        return not self.is_alive()
