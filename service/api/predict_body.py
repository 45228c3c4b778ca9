"""Read a predict body and answer it: the body lands in one buffer (read_body, through the
body-limit gates), and while a big .npy body is still arriving its rows already run through
the network in a worker thread, a block at a time (serving.predict_stream). A small body
for a small network is answered on the event loop; anything else in a worker thread."""

from __future__ import annotations

import asyncio

from starlette.concurrency import run_in_threadpool

from service.api.body_buffer import BodyBuffer
from service.api.body_limit import Receive, Scope, read_body
from service.config import Settings
from service.serving.model import LoadedModel
from service.serving.predict_stream import StreamedAnswer

INLINE_BYTES = 32 * 1024
INLINE_PARAMS = 1_000_000
"""Bodies up to INLINE_BYTES for networks up to INLINE_PARAMS parameters are answered on
the event loop (well under a millisecond); the rest in a worker thread."""


async def predict_answer(
    scope: Scope, receive: Receive, model: LoadedModel, kind: str, settings: Settings
) -> bytes:
    """The JSON answer to the request's predict body of the given kind (see
    serving.predict_http.body_kind); DatasetError (or DatasetTooLarge) if it is wrong,
    HTTPException for a body that is too large, stalls or is left unfinished."""
    size = declared_size(scope)
    buffer = BodyBuffer(size)
    job = StreamedAnswer(model, kind, settings.max_predict_values, settings.max_request_bytes)
    step: asyncio.Future | None = None

    def progress() -> None:
        nonlocal step
        if (step is None or step.done()) and job.wants(buffer.view()):
            if step is not None:
                step.result()  # a step's unexpected error ends the request
            step = asyncio.ensure_future(run_in_threadpool(job.step, buffer.view()))

    streams = size is None or size > INLINE_BYTES
    try:
        try:
            await read_body(scope, receive, buffer, progress if streams else None)
        finally:
            if step is not None:  # the thread reads the buffer: let it end first
                await asyncio.wait([step])
                if not step.cancelled():
                    step.exception()  # retrieved: a failed read's own error is the answer
        if step is not None:
            step.result()
        data = buffer.view()
        if len(data) <= INLINE_BYTES and model.num_params <= INLINE_PARAMS:
            return job.finish(data)
        return await run_in_threadpool(job.finish, data)
    finally:
        buffer.release()


def declared_size(scope: Scope) -> int | None:
    """The request's Content-Length in bytes, if it has a valid one."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
