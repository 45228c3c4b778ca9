"""Service settings, read from BACKPROP_* environment variables (pydantic-settings)."""

from __future__ import annotations

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
    """Celery worker processes started by `backprop worker`."""

    lease_seconds: float = 60.0
    """A running job whose heartbeat is older than this is considered abandoned."""
    heartbeat_seconds: float = 5.0
    cancel_poll_seconds: float = 0.25
    reconcile_seconds: float = 15.0
    """How often queued jobs nobody picked up are republished."""
    max_attempts: int = 3

    max_upload_bytes: int = 200 * 1024 * 1024
    model_cache_size: int = 32
    default_page_size: int = 50

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL; a SQLite file under data_dir when none is configured."""
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.data_dir / 'backprop.db').resolve()}"

    @property
    def api_key_file(self) -> Path:
        """Where `backprop up` keeps the key it created on first start."""
        return self.data_dir / "api-key.txt"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache after changing the env)."""
    return Settings()
