"""A server process freezes what import and start-up made (gc.freeze) once it listens."""

from __future__ import annotations

import asyncio
import gc
import time

import uvicorn
from fastapi import FastAPI
from support import free_port

from service.cli.serving import _Server


def test_a_started_server_has_frozen_its_start_up_objects():
    config = uvicorn.Config(FastAPI(), host="127.0.0.1", port=free_port(), log_config=None)
    started: list[int] = []
    server = _Server(config, lambda: started.append(gc.get_freeze_count()))

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        deadline = time.monotonic() + 30
        while not started:
            assert time.monotonic() < deadline and not task.done(), "the server did not start"
            await asyncio.sleep(0.01)
        server.should_exit = True
        await task

    gc.unfreeze()
    try:
        asyncio.run(run())
    finally:
        gc.unfreeze()  # this test process goes on building apps
    assert started[0] > 0
