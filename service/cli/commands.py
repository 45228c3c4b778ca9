"""Commands built from a description: a page of a collection (`list`), and the commands that
take only ids (show, delete) and make one call with them."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer

from service.cli.common import LimitOpt, OffsetOpt
from service.cli.conn import Conn, parameter, with_conn
from service.cli.verbs import Listing, delete_one, list_page, show_one

Ident = tuple[str, Any]
"""An id argument: its parameter name (the route's path parameter) and annotated type, e.g.
("job_id", Annotated[str, typer.Argument(help="Job id.")])."""


def list_command(
    app: typer.Typer,
    help: str,
    call: Callable[..., dict[str, Any]],
    listing: Listing,
    idents: Sequence[Ident] = (),
    status: str | None = None,
    name: str = "list",
) -> None:
    """Add `<name> ID... [--status S] [--limit N] [--offset N]` to `app`: the page
    `call(bp, *ids, [status,] limit, offset)`; `status` is the help of the --status filter
    (no filter when None)."""
    params = [parameter(*ident) for ident in idents]
    if status is not None:
        params.append(parameter("status", Annotated[str | None, typer.Option(help=status)], None))
    params += [parameter("limit", LimitOpt, 50), parameter("offset", OffsetOpt, 0)]

    def run(conn: Conn, values: list[Any]) -> None:
        list_page(conn, lambda bp: call(bp, *values), listing)

    _command(app, name, help, params, run, json=True)


def show_command(
    app: typer.Typer,
    help: str,
    idents: Sequence[Ident],
    get: Callable[..., dict[str, Any]],
    render: Callable[[dict[str, Any]], None],
    name: str = "show",
) -> None:
    """Add `<name> ID...` to `app`: `get(bp, *ids)` as JSON with --json, else rendered."""

    def run(conn: Conn, ids: list[Any]) -> None:
        show_one(conn, lambda bp: get(bp, *ids), render)

    _command(app, name, help, [parameter(*ident) for ident in idents], run, json=True)


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

    def run(conn: Conn, ids: list[Any]) -> None:
        named = {ident[0]: value for ident, value in zip(idents, ids, strict=True)}
        delete_one(conn, lambda bp: delete(bp, *ids), done.format(**named))

    _command(app, name, help, [parameter(*ident) for ident in idents], run, json=False)


def _command(
    app: typer.Typer,
    name: str,
    help: str,
    params: list[inspect.Parameter],
    run: Callable[[Conn, list[Any]], None],
    json: bool,
) -> None:
    """Add a command taking `params` and the shared options; it calls `run(conn, values)`
    with the values in the order of `params`."""

    def command(conn: Conn, **values: Any) -> None:
        run(conn, [values[param.name] for param in params])

    signature = [parameter("conn", Conn), *params]
    command.__signature__ = inspect.Signature(signature, return_annotation=None)  # type: ignore[attr-defined]
    app.command(name, help=help)(with_conn(command, json=json))
