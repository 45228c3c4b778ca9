"""A live app over real HTTP (uvicorn in a thread) and model rows stored without training."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import uvicorn
from support import free_port

from service.config import Settings
from service.db.blobs import arrays_to_npz
from service.db.keys import get_or_create_tenant
from service.db.models import TrainedModel
from service.db.session import session_scope
from service.engine import build_network


@contextmanager
def live_app(app: Any) -> Iterator[str]:
    """Serve `app` on a free port in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def store_model(
    settings: Settings,
    tenant_name: str,
    layers: list[dict],
    input_shape: tuple[int, ...],
    *,
    task: str = "classification",
    classes: list | None = None,
    target_scaler: dict | None = None,
    weights: dict[str, np.ndarray] | None = None,
) -> str:
    """A model row of the tenant (identity input scaling) built without training, with a
    job id of its own (a job has one model); its id."""
    net = build_network(layers, input_shape, seed=0)
    if weights:
        net.set_weights({**net.get_weights(), **weights})
    last = input_shape[-1]
    pre: dict[str, Any] = {"standardizer": {"mean": [0.0] * last, "std": [1.0] * last}}
    if target_scaler is not None:
        pre["target_scaler"] = target_scaler
    with session_scope(settings.sqlalchemy_url) as session:
        tenant = get_or_create_tenant(session, tenant_name)
        row = TrainedModel(
            tenant_id=tenant.id,
            job_id=uuid.uuid4().hex,
            dataset_id="dataset",
            task=task,
            network={"layers": layers},
            training={},
            layers=[],
            num_params=net.num_params,
            metrics={},
            input_schema={"input_shape": list(input_shape)},
            classes=classes,
            preprocessing=pre,
            weights=arrays_to_npz(net.get_weights()),
        )
        session.add(row)
        session.flush()
        return row.id
