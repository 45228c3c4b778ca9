"""Commands built from a description: `list` of a collection, and the commands that take
only ids (show, delete) and do one call with them."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import typer

from service.cli.common import LimitOpt, OffsetOpt
from service.cli.conn import Conn, with_conn
from service.cli.verbs import Listing, delete_one, list_page, show_one
from service.client import BackpropClient

Ident = tuple[str, Any]
"""An id argument: its parameter name (the route's path parameter) and annotated type, e.g.
("job_id", Annotated[str, typer.Argument(help="Job id.")])."""


def list_command(
    app: typer.Typer,
    help: str,
    call: Callable[[BackpropClient, int, int], dict[str, Any]],
    listing: Listing,
) -> None:
    """Add `list [--limit N] [--offset N]` to `app`: the page `call(bp, limit, offset)`."""

    @app.command("list", help=help)
    @with_conn
    def list_(conn: Conn, limit: LimitOpt = 50, offset: OffsetOpt = 0) -> None:
        list_page(conn, lambda bp: call(bp, limit, offset), listing)


def show_command(
    app: typer.Typer,
    help: str,
    idents: Sequence[Ident],
    get: Callable[..., dict[str, Any]],
    render: Callable[[dict[str, Any]], None],
    name: str = "show",
) -> None:
    """Add `<name> ID...` to `app`: `get(bp, *ids)` as JSON with --json, else rendered."""

    def show(conn: Conn, ids: list[str]) -> None:
        show_one(conn, lambda bp: get(bp, *ids), render)

    _ids_command(app, name, help, idents, show, json=True)


def delete_command(
    app: typer.Typer,
    help: str,
    idents: Sequence[Ident],
    delete: Callable[..., object],
    done: str,
    name: str = "delete",
) -> None:
    """Add `<name> ID...` to `app`: `delete(bp, *ids)`, then `done` with the ids filled in by
    name, e.g. "deleted dataset {dataset_id}"."""

    def remove(conn: Conn, ids: list[str]) -> None:
        named = {ident[0]: value for ident, value in zip(idents, ids, strict=True)}
        delete_one(conn, lambda bp: delete(bp, *ids), done.format(**named))

    _ids_command(app, name, help, idents, remove, json=False)


def _ids_command(
    app: typer.Typer,
    name: str,
    help: str,
    idents: Sequence[Ident],
    run: Callable[[Conn, list[str]], None],
    json: bool,
) -> None:
    """Add a command whose arguments are `idents` (plus the shared options); it calls
    `run(conn, ids)` with the ids in the order of `idents`."""

    def command(conn: Conn, **ids: str) -> None:
        run(conn, [ids[ident[0]] for ident in idents])

    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter(n, positional, annotation=t) for n, t in [("conn", Conn), *idents]]
    command.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    app.command(name, help=help)(with_conn(command, json=json))
