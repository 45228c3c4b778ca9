"""Service settings, read from BACKPROP_* environment variables (pydantic-settings)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration of the service; every field maps to BACKPROP_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="BACKPROP_", extra="ignore")

    data_dir: Path = Path(".backprop")
    database_url: str | None = None
    broker_url: str | None = None

    host: str = "127.0.0.1"
    port: int = 8000

    embedded_workers: int = 1
    """Threads of the in-process executor when no broker is configured."""
    worker_concurrency: int = 1
    """Jobs one `backprop worker` trains at once (Celery threads pool)."""

    blas_threads: int = 1
    """BLAS threads per training job (0: the library's default). One is fastest for the
    networks users send and lets jobs and predictions share the cores without thrashing."""
    lease_seconds: float = 60.0
    """A running job whose heartbeat is older than this is considered abandoned."""
    heartbeat_seconds: float = 5.0
    cancel_poll_seconds: float = 0.25
    reconcile_seconds: float = 15.0
    """How often queued jobs nobody picked up are republished."""
    progress_seconds: float = 0.5
    """Epoch rows and progress are written at least this often (0: after every epoch)."""
    checkpoint_seconds: float = 2.0
    """A checkpoint is written once this long has passed since the last one, after an epoch
    or between two mini-batches of a long epoch (and at the last epoch, on SIGTERM and at
    the time limit); 0 checkpoints after every epoch."""
    republish_after_seconds: float = 60.0
    """A queued job published longer ago than this and still not claimed is published again."""
    max_attempts: int = 3
    job_retention_days: float = 0.0
    """Finished jobs (with their history, runs and checkpoints, not their models) are
    deleted this many days after they ended, by the reconciler (0: kept until deleted)."""
    max_runtime_seconds: float = 24 * 3600.0
    """Default limit of a job's training time (a job may ask for less)."""
    score_chunk_rows: int = 8192
    """Rows a batch scoring run scores and stores at a time (its memory and checkpoint unit)."""

    max_upload_bytes: int = 4 * 1024**3
    """Largest dataset upload (POST /v1/datasets): big NPZ uploads stream to disk, so memory
    stays bounded."""
    max_request_bytes: int = 64 * 1024**2
    """Largest body of every other request (job specs, predict instances), which is parsed
    in memory."""
    access_log: bool = True
    """One JSON log line per request (not for /healthz, /readyz, /metrics)."""
    opentelemetry: bool = False
    """FastAPI's native OpenTelemetry spans, metrics and logs (with a provider configured in
    the process). Off, FastAPI skips its per-request check for providers (about 4 us)."""
    body_timeout_seconds: float = 30.0
    """A request whose declared body stalls this long between two parts is cut off with
    408 (0: wait forever)."""
    max_predict_values: int = 2_000_000
    """Largest predict answer: rows x outputs (e.g. class probabilities); more -> 413."""
    max_parsed_bytes: int = 200 * 1024 * 1024
    """Largest CSV, JSON or inline NPZ upload (these are parsed in memory); larger -> 413."""
    dataset_inline_bytes: int = 32 * 1024 * 1024
    """NPZ uploads larger than this are stored as memory-mappable files in data_dir
    (shared by the API and the workers); smaller ones in the database."""

    # Resource limits: a job or dataset beyond them is refused before anything is stored.
    max_layers: int = 100
    max_units: int = 16384
    """Width of one layer (dense units, conv filters, recurrent units, embedding size)."""
    max_params: int = 50_000_000
    max_epoch_rows: int = 2_000_000_000
    """epochs x training rows of one job."""
    max_batch_size: int = 65536
    max_dataset_rows: int = 10_000_000
    max_dataset_columns: int = 1_000_000
    """Features per row (for images: H x W x C)."""
    max_categories: int = 100
    """Levels of one categorical column; a column with more is refused (ignore= it)."""
    max_concurrent_jobs: int = 100
    """Queued plus running jobs per tenant; more is 429 with Retry-After."""
    max_search_trials: int = 1000
    """Trials of one search (strategy.max_trials, or a grid's size)."""
    max_search_parallelism: int = 64
    """Trials of one search running at once."""
    max_concurrent_searches: int = 10
    """Queued plus running searches per tenant; more is 429 with Retry-After."""
    auth_cache_seconds: float = 5.0
    """Verified keys are remembered this long per process; a key revoked elsewhere keeps
    working in this process for at most this long (0: check the database every request)."""
    rate_limit_per_minute: int = 1200
    """Requests per API key per minute (0: unlimited); more is 429 with Retry-After."""
    rate_limit_shared: bool = True
    """With a Redis broker, count requests in Redis so all API processes share one budget
    per key (in-process counting while Redis is unreachable); otherwise per process."""
    predict_fast_path: bool = True
    """Answer POST /v1/models/{id}/predict in a thin ASGI layer ahead of FastAPI's routing
    (the same answers; false sends it through the FastAPI route)."""
    model_cache_size: int = 32
    model_cache_check_seconds: float = 5.0
    """A cached model is re-confirmed in the database after this long, so a model deleted
    through another API process stops answering within it (0: check every request)."""
    webhook_allow_private: bool = False
    """Allow webhook URLs that resolve to loopback, private, link-local or multicast
    addresses (off: such URLs are refused with 422, and re-checked before every send)."""
    webhook_max_attempts: int = 8
    """Sends of one event to one webhook before its delivery is marked failed."""
    webhook_timeout_seconds: float = 5.0
    webhook_backoff_seconds: float = 10.0
    """Wait before the first retry; it doubles with each failed attempt (up to 1 hour)."""
    webhook_poll_seconds: float = 1.0
    """How often a deliverer looks for due deliveries."""
    webhook_concurrency: int = 4
    """Deliveries one deliverer sends at once."""
    webhook_retention_days: float = 30.0
    """Delivered and failed deliveries are deleted this long after their event (0: kept)."""
    registry_ref_seconds: float = 0.5
    """How long a process reuses what a `name@alias` or `name@version` model reference
    resolved to; after an alias moves, every process follows within this time (0: ask the
    database every request)."""
    shutdown_grace_seconds: float = 5.0
    """On SIGTERM the API waits this long for open requests (e.g. event streams, which the
    clients resume) before closing them and stopping its embedded worker."""

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL; a SQLite file under data_dir when none is configured."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return _sqlite_url(self.data_dir, os.getcwd())

    @property
    def api_key_file(self) -> Path:
        """Where `backprop up` keeps the key it created on first start."""
        return self.data_dir / "api-key.txt"


@lru_cache(maxsize=64)
def _sqlite_url(data_dir: Path, cwd: str) -> str:
    """The SQLite URL of data_dir's database, resolved once per directory and working
    directory (resolving walks the path with a system call per part, on every predict)."""
    return f"sqlite:///{(Path(cwd) / data_dir / 'backprop.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache after changing the env)."""
    return Settings()
