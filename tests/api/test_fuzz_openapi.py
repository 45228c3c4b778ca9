"""Schemathesis fuzzes every operation of our own /openapi.json with a valid key:
no 5xx, and every response conforms to the schema.

The app is built at import (schemathesis parametrizes at collection time) on a throwaway
SQLite database, with an embedded worker, a dataset and a trained model, so that the
fuzzer also reaches the routes of objects that exist.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.api.app import create_app
from service.config import Settings
from service.db.keys import create_key
from service.db.migrate import upgrade
from service.db.session import session_scope

_DIR = Path(tempfile.mkdtemp(prefix="bp-fuzz-"))
SETTINGS = Settings(
    data_dir=_DIR, database_url=f"sqlite:///{_DIR / 'fuzz.db'}", rate_limit_per_minute=0
)
upgrade(SETTINGS.sqlalchemy_url)
with session_scope(SETTINGS.sqlalchemy_url) as _session:
    KEY = create_key(_session, "fuzzer")
APP = create_app(SETTINGS, embedded_worker=True)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schemathesis.serializer("application/x-npy", "application/x-npz")
def _binary(ctx: object, value: object) -> bytes:
    """Predict's binary bodies: the fuzzer's bytes (or text) sent as they are."""
    return value if isinstance(value, bytes) else str(value).encode()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("BACKPROP_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=os.environ.get("BACKPROP_FUZZ_RANDOM") != "1",  # CI: the same cases each run
)
def test_no_server_errors_and_schema_conformance(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=CHECKS)
