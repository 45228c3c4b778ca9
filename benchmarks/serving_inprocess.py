#!/usr/bin/env python3
"""What each per-request layer of the API costs, in process: the ASGI app is built with the
layer toggled and called directly (no sockets, no HTTP parsing), microseconds per /healthz
and per one-row predict, medians. Part of serving_bench.py; alone it stores an untrained
784-256-128-10 MLP in a temporary data dir and measures that:

    .venv/bin/python benchmarks/serving_inprocess.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from serving_parts import asgi_alternated  # noqa: E402

LAYERS = [
    {"type": "dense", "units": 256, "activation": "relu"},
    {"type": "dense", "units": 128, "activation": "relu"},
    {"type": "dense", "units": 10, "activation": "softmax"},
]


def health_case(app: object) -> tuple:
    """A GET /healthz through `app`, as asgi_alternated takes it."""
    return (app, "GET", "/healthz", [], b"")


def layer_costs(data_dir: Path, predict: str, row: bytes, key: str) -> None:
    """Microseconds per request through the ASGI app with each layer toggled."""
    from service.api.app import create_app
    from service.api.body_limit import BodyLimitMiddleware, KeyRequiredMiddleware
    from service.config import Settings
    from service.observability import configure_logging
    from service.observability.http import ObserveMiddleware

    print("== per-request cost in process (ASGI calls, no sockets; us per request, median of")
    print("   9 rounds, the variants in turn; JSON log lines to a file, as the server writes them)")
    configure_logging("INFO", "json", open(data_dir / "inprocess-log.jsonl", "w"))  # noqa: SIM115
    base = Settings(data_dir=data_dir, rate_limit_per_minute=10**9)
    auth = [(b"authorization", f"Bearer {key}".encode())]
    post = [
        *auth,
        (b"content-type", b"application/json"),
        (b"content-length", str(len(row)).encode()),
    ]

    def app_without(drop: type | None = None, **changes: object) -> object:
        app = create_app(base.model_copy(update=changes))
        app.user_middleware = [m for m in app.user_middleware if m.cls is not drop]
        return app

    variants = [
        ("full stack", app_without()),
        ("predict fast path off", app_without(predict_fast_path=False)),
        ("access log off", app_without(access_log=False)),
        ("- request id, metrics, access log", app_without(ObserveMiddleware)),
        ("- body limit, timeout, duplicate keys", app_without(BodyLimitMiddleware)),
        ("- key-required gate", app_without(KeyRequiredMiddleware)),
        ("rate limit off", app_without(rate_limit_per_minute=0)),
    ]
    cases = [
        c for _, app in variants for c in (health_case(app), (app, "POST", predict, post, row))
    ]
    micros = asgi_alternated(cases, 300, 9)  # the variants in turn, nine rounds
    full = micros[0], micros[1]
    for k, (name, _) in enumerate(variants):
        health, pred = micros[2 * k], micros[2 * k + 1]
        print(
            f"  {name:40s} /healthz {health:7.1f} us ({health - full[0]:+6.1f}), "
            f"predict {pred:7.1f} us ({pred - full[1]:+6.1f})"
        )
    from service.api.auth_cache import AuthCache, Caller
    from service.db.keys import hash_key

    cache = AuthCache(5.0)
    cache.put(hash_key(key), Caller("k", False, "t", "t"))
    started = time.perf_counter()
    for _ in range(20000):
        cache.get(hash_key(key))
    print(
        f"  auth: key hash + cached lookup {(time.perf_counter() - started) / 20000 * 1e6:.1f} us"
    )


def stored_model(data_dir: Path, model_id: str) -> object:
    """The model of a data dir's database, loaded as the server loads it (LoadedModel)."""
    from service.config import Settings
    from service.db.models import TrainedModel
    from service.db.session import session_factory
    from service.serving.model import load_model

    with session_factory(Settings(data_dir=data_dir).sqlalchemy_url)() as session:
        return load_model(session.get(TrainedModel, model_id))


def answer_micros(data_dir: Path, model_id: str, row: bytes) -> float:
    """Median microseconds of a predict body's own work, without HTTP or middleware:
    serving.predict_http.answer (parse, forward, check, encode) on the stored model."""
    from service.serving.predict_http import JSON, answer

    model = stored_model(data_dir, model_id)
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(2000):
            answer(model, row, JSON, 10**9, 10**9)
        rounds.append((time.perf_counter() - started) / 2000 * 1e6)
    return sorted(rounds)[2]


def stored_mlp(data_dir: Path) -> tuple[str, str]:
    """A migrated data dir holding an API key and an untrained MLP of 784 inputs (identity
    scaling); (key, model id)."""
    from service.config import Settings
    from service.db.blobs import arrays_to_npz
    from service.db.keys import create_key, get_or_create_tenant
    from service.db.migrate import upgrade
    from service.db.models import TrainedModel
    from service.db.session import session_scope
    from service.engine import build_network

    url = Settings(data_dir=data_dir).sqlalchemy_url
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(url)
    net = build_network(LAYERS, (784,), seed=0)
    with session_scope(url) as session:
        key = create_key(session, "bench")
        row = TrainedModel(
            tenant_id=get_or_create_tenant(session, "bench").id,
            job_id="job",
            dataset_id="dataset",
            task="classification",
            network={"layers": LAYERS},
            training={},
            layers=[],
            num_params=net.num_params,
            metrics={},
            input_schema={"input_shape": [784]},
            classes=list(range(10)),
            preprocessing={"standardizer": {"mean": [0.0] * 784, "std": [1.0] * 784}},
            weights=arrays_to_npz(net.get_weights()),
        )
        session.add(row)
        session.flush()
        return key, row.id


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="serving-inprocess-"))
    key, model_id = stored_mlp(data_dir)
    row = json.dumps({"instances": np.random.default_rng(0).random((1, 784)).tolist()})
    layer_costs(data_dir, f"/v1/models/{model_id}/predict", row.encode(), key)


if __name__ == "__main__":
    main()
