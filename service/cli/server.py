"""Server commands of `backprop`: up, api, worker, migrate and keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from service.config import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

HostOpt = Annotated[
    str | None, typer.Option(help="Bind address (default BACKPROP_HOST or 127.0.0.1).")
]
PortOpt = Annotated[int | None, typer.Option(help="Port (default BACKPROP_PORT or 8000).")]

app = typer.Typer(no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


def _logging() -> None:
    """Log lines carrying job and tenant ids: text in a terminal, JSON otherwise
    (BACKPROP_LOG_FORMAT=json|text|auto; BACKPROP_LOG_LEVEL sets the level)."""
    from service.observability import configure_logging

    try:
        configure_logging()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _migrate(settings: Settings) -> None:
    from service.db.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)


def _first_start_key(settings: Settings) -> tuple[str | None, bool]:
    """On first start create tenant 'default' with a key saved to data_dir/api-key.txt.
    Returns the key (None when there is no key file) and whether it was just created."""
    from service.db.keys import any_key_exists, create_key
    from service.db.session import session_scope

    key_file = settings.api_key_file
    with session_scope(settings.sqlalchemy_url) as session:
        if not any_key_exists(session):
            key = create_key(session, "default")
            key_file.write_text(key + "\n")
            key_file.chmod(0o600)
            return key, True
    return (key_file.read_text().strip() if key_file.exists() else None), False


def _with_broker(otherwise: str) -> Settings:
    """The settings, when they name a broker; else say so (and `otherwise`) and exit 2."""
    settings = get_settings()
    if not settings.broker_url:
        typer.echo(f"BACKPROP_BROKER_URL is not set; {otherwise}", err=True)
        raise typer.Exit(2)
    return settings


@contextmanager
def _migrated_session() -> Iterator[Session]:
    """A session on the configured database, migrated to the newest schema first."""
    from service.db.session import session_scope

    settings = get_settings()
    _migrate(settings)
    with session_scope(settings.sqlalchemy_url) as session:
        yield session


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic) to the newest version."""
    _logging()
    settings = get_settings()
    _migrate(settings)
    typer.echo(f"database is up to date: {settings.sqlalchemy_url.split('@')[-1]}")


@app.command()
def up(
    host: HostOpt = None,
    port: PortOpt = None,
) -> None:
    """API plus an in-process worker: migrates first, prints an API key on first start."""
    from service.api.app import create_app
    from service.cli.serving import announce, serve

    _logging()
    settings = get_settings()
    _migrate(settings)
    key, new_key = _first_start_key(settings)
    host, port = host or settings.host, port or settings.port
    on_started = announce(settings, host, port, key, new_key)
    app = create_app(settings, embedded_worker=not settings.broker_url)
    serve(app, host, port, settings, on_started)


@app.command()
def api(
    host: HostOpt = None,
    port: PortOpt = None,
    workers: int = typer.Option(
        1, min=1, help="API processes sharing the port (uvicorn workers); each builds its app."
    ),
) -> None:
    """Only the API; jobs go to Celery workers through BACKPROP_BROKER_URL."""
    from service.api.app import create_app
    from service.cli.serving import serve, serve_workers

    _logging()
    settings = _with_broker("use `backprop up` for the embedded mode")
    host, port = host or settings.host, port or settings.port
    base = f"http://{host}:{port}"
    if workers > 1:  # several processes need the app by name: each builds its own
        from service.serving.forward import PROCESSES_ENV

        os.environ[PROCESSES_ENV] = str(workers)  # each process takes cores // workers
        typer.echo(f"Backprop API on {base} ({base}/docs), {workers} processes")
        serve_workers("service.cli.server:api_app", host, port, settings, workers)
        return
    app = create_app(settings, embedded_worker=False)
    serve(app, host, port, settings, lambda: typer.echo(f"Backprop API on {base} ({base}/docs)"))


def api_app() -> object:
    """The app of one `backprop api --workers N` process (uvicorn's factory): BLAS and the
    forward pass's threads limited to this process's share of the cores, uvicorn's body
    read-ahead widened, and what import and the app made frozen for the garbage collector."""
    from service.api.app import create_app
    from service.cli.serving import freeze_startup_objects, widen_body_read_ahead
    from service.serving.forward import limit_blas_to_core_share

    _logging()
    limit_blas_to_core_share()
    widen_body_read_ahead()
    app = create_app(get_settings(), embedded_worker=False)
    freeze_startup_objects()  # before its start-up, which makes few objects
    return app


@app.command()
def worker(
    concurrency: int = typer.Option(
        None, help="Jobs trained at once, in threads (default BACKPROP_WORKER_CONCURRENCY)."
    ),
) -> None:
    """A Celery worker that trains jobs from the broker (also repairs stale and lost jobs
    and delivers webhooks)."""
    from celery.signals import worker_ready, worker_shutdown

    from service.worker.background import WorkerThreads
    from service.worker.celery_app import QUEUE
    from service.worker.publish import CeleryPublisher

    _logging()
    settings = _with_broker("a worker needs a broker (redis://...)")
    from service.worker.celery_app import celery_app as celery

    threads = WorkerThreads(settings, CeleryPublisher(settings))
    worker_ready.connect(lambda **_: threads.start(), weak=False)
    worker_shutdown.connect(lambda **_: threads.stop(), weak=False)

    n = concurrency or settings.worker_concurrency
    celery.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            "--pool=threads",  # SIGTERM reaches the training thread: checkpoint and requeue
            f"--concurrency={n}",
            "-Q",
            QUEUE,
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"backprop-{os.getpid()}@%h",
        ]
    )


@keys_app.command("create")
def keys_create(
    tenant: str = typer.Option(..., help="Tenant name (created if new)."),
    admin: bool = typer.Option(False, "--admin", help="Allow the admin-only /v1/admin routes."),
) -> None:
    """Create an API key; the key alone is printed on the last line."""
    from service.db.keys import create_key

    with _migrated_session() as session:
        key = create_key(session, tenant, admin=admin)
    scope = " with the admin scope" if admin else ""
    typer.echo(f"created a key for tenant '{tenant}'{scope} (it is shown only once):")
    typer.echo(key)


@keys_app.command("list")
def keys_list(
    tenant: str = typer.Option(None, help="Only this tenant's keys."),
) -> None:
    """List keys: id, prefix, tenant, scope, created and revoked (never the key itself)."""
    from rich.console import Console
    from rich.table import Table

    from service.db.keys import list_keys

    table = Table("id", "prefix", "tenant", "admin", "created", "revoked")
    with _migrated_session() as session:
        for key, name in list_keys(session, tenant):
            table.add_row(
                key.id,
                key.prefix,
                name,
                "yes" if key.is_admin else "",
                f"{key.created_at:%Y-%m-%d %H:%M}",
                f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
            )
    Console(width=140).print(table)


@keys_app.command("tenants")
def keys_tenants() -> None:
    """List tenants (id, name, created), oldest first: what GET /v1/admin/tenants returns."""
    from sqlalchemy import select

    from service.db.models import Tenant

    with _migrated_session() as session:
        for tenant in session.scalars(select(Tenant).order_by(Tenant.created_at)):
            typer.echo(f"{tenant.id}  {tenant.name}  {tenant.created_at:%Y-%m-%d %H:%M}")


@keys_app.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="Key id or prefix (see `keys list`).")) -> None:
    """Revoke a key: requests with it get 401 from then on."""
    from service.db.keys import revoke_key

    with _migrated_session() as session:
        row = revoke_key(session, key)
        if row is None:
            typer.echo(f"no single key matches '{key}'", err=True)
            raise typer.Exit(1)
        typer.echo(f"revoked key {row.id} ({row.prefix}...)")
