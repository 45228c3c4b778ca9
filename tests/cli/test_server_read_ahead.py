"""A server process widens uvicorn's request-body read-ahead (BODY_READ_AHEAD), and bodies
larger than it still arrive whole."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time

import httpx
import uvicorn
from support import free_port
from uvicorn.protocols.http import h11_impl, httptools_impl

from service.cli.serving import BODY_READ_AHEAD, widen_body_read_ahead


def test_both_http11_protocols_take_the_read_ahead(monkeypatch):
    for module in (httptools_impl, h11_impl):
        assert isinstance(module.HIGH_WATER_LIMIT, int)  # the knob this uvicorn reads
        monkeypatch.setattr(module, "HIGH_WATER_LIMIT", module.HIGH_WATER_LIMIT)
    widen_body_read_ahead()
    assert httptools_impl.HIGH_WATER_LIMIT == h11_impl.HIGH_WATER_LIMIT == BODY_READ_AHEAD


async def _digest_app(scope, receive, send) -> None:
    """Answers the SHA-256 of the request body and how many messages brought it."""
    if scope["type"] != "http":
        return
    digest, messages, more = hashlib.sha256(), 0, True
    while more:
        message = await receive()
        digest.update(message.get("body", b""))
        messages, more = messages + 1, message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": f"{digest.hexdigest()} {messages}".encode()})


def test_a_body_of_several_read_aheads_arrives_whole(monkeypatch):
    monkeypatch.setattr(httptools_impl, "HIGH_WATER_LIMIT", httptools_impl.HIGH_WATER_LIMIT)
    monkeypatch.setattr(h11_impl, "HIGH_WATER_LIMIT", h11_impl.HIGH_WATER_LIMIT)
    widen_body_read_ahead()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(_digest_app, host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    try:
        body = bytes(range(256)) * (5 * BODY_READ_AHEAD // 256 + 7)
        answer = httpx.post(f"http://127.0.0.1:{port}/", content=body, timeout=60).text
        digest, messages = answer.split()
        assert digest == hashlib.sha256(body).hexdigest()
        assert int(messages) >= 1
    finally:
        server.should_exit = True
        thread.join(30)
