"""A loopback webhook receiver for tests: records every POST, answers as a test scripts it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from service.events.signing import verify

HANG = -1
"""An answer that never comes: the handler waits (until the receiver stops) instead."""


@dataclass
class Received:
    """One POST as it arrived, and the status the receiver answered (HANG: none)."""

    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def event_id(self) -> str:
        return self.headers.get("x-backprop-delivery", "")

    @property
    def event(self) -> str:
        return self.headers.get("x-backprop-event", "")

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        return verify(secret, self.body, self.headers.get("x-backprop-signature", ""))


Script = Callable[[int], int]
"""(how many times this event id arrived before) -> the status to answer, or HANG."""


def fail_first(earlier: int) -> int:
    """503 the first delivery of each event, 200 after."""
    return 503 if earlier == 0 else 200


def hang_first(earlier: int) -> int:
    """No answer to the first delivery of each event, 200 after."""
    return HANG if earlier == 0 else 200


class Receiver:
    """A ThreadingHTTPServer on 127.0.0.1 in a thread; use as a context manager."""

    def __init__(self, script: Script = fail_first) -> None:
        self.script = script
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    event_id = headers.get("x-backprop-delivery", "")
                    earlier = sum(r.event_id == event_id for r in receiver.received)
                    answer = receiver.script(earlier)
                    receiver.received.append(Received(headers, body, answer))
                if answer == HANG:
                    receiver.release.wait(60)
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[Received]:
        """The POSTs answered with a 2xx, in arrival order."""
        with self.lock:
            return [r for r in self.received if 200 <= r.answered < 300]

    def wait_until(self, done: Callable[[Receiver], bool], timeout: float = 60) -> None:
        """Poll `done(self)` until true; AssertionError with what arrived after `timeout`."""
        deadline = time.monotonic() + timeout
        while not done(self):
            if time.monotonic() > deadline:
                seen = [(r.event, r.answered) for r in self.received]
                raise AssertionError(f"receiver still waiting after {timeout}s; got {seen}")
            time.sleep(0.05)


def settled(fetch: Callable[[], list[dict[str, Any]]], timeout: float = 30) -> list[dict[str, Any]]:
    """Deliveries from `fetch()` once none is pending: a deliverer records an attempt just
    after the receiver answered it, so a test reading at once could see it still pending."""
    deadline = time.monotonic() + timeout
    while True:
        items = fetch()
        if items and all(d["status"] != "pending" for d in items):
            return items
        assert time.monotonic() < deadline, items
        time.sleep(0.05)
