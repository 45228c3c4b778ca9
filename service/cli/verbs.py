"""The shapes most resource commands share: list a page, show one object, delete one, cancel
one, save a file, report a new object."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from service.cli.common import console, page_note, print_json, table
from service.cli.conn import Conn
from service.client import BackpropClient

Row = list[Any]


@dataclass(frozen=True)
class Listing:
    """How a page prints: a table titled `title` of `row(item)` under `columns` (`optional`
    ones hidden first when the terminal is narrow), then `note(rows)` (markup) if not None."""

    title: str
    columns: Sequence[str]
    row: Callable[[dict[str, Any]], Row]
    optional: Sequence[str] = ()
    note: Callable[[list[Row]], str | None] | None = None


def list_page(
    conn: Conn, call: Callable[[BackpropClient], dict[str, Any]], listing: Listing
) -> None:
    """Fetch one page ({items, total, offset}); print it as JSON with --json, else as the
    listing's table, its note and 'showing n of total'."""
    page = conn.fetch(call)
    if page is None:
        return
    rows = [listing.row(item) for item in page["items"]]
    table(listing.title, listing.columns, rows, optional=listing.optional)
    text = listing.note(rows) if listing.note is not None else None
    if text is not None:
        console.print(text)
    page_note(page)


def show_one(
    conn: Conn,
    call: Callable[[BackpropClient], dict[str, Any]],
    render: Callable[[dict[str, Any]], None],
) -> None:
    """Fetch one object; print it as JSON with --json, else `render` it (key/value lines)."""
    found = conn.fetch(call)
    if found is not None:
        render(found)


def delete_one(conn: Conn, call: Callable[[BackpropClient], object], done: str) -> None:
    """Run the delete `call`, then print `done` (plain text, never markup)."""
    with conn.client() as bp:
        call(bp)
    console.print(done, markup=False)


def save_file(conn: Conn, call: Callable[[BackpropClient], int], output: Path) -> None:
    """Run `call`, which writes `output` and returns its size, then say what was saved."""
    with conn.client() as bp:
        size = call(bp)
    console.print(f"saved {size} bytes to {output}", markup=False)


def report_new(
    conn: Conn, found: dict[str, Any], quiet: bool, what: str, render: Callable[[Any], None]
) -> None:
    """A new object: its id alone with --quiet, JSON with --json, else '<what> <id>' and
    `render(found)`."""
    if quiet:
        typer.echo(found["id"])
    elif conn.json_out:
        print_json(found)
    else:
        console.print(f"{what} [bold]{escape(found['id'])}[/]")
        render(found)


def cancel_one(conn: Conn, call: Callable[[BackpropClient], dict[str, Any]], what: str) -> None:
    """Run the cancel `call`; print the answer as JSON with --json, else '<what>: <status>'
    ('(stopping)' while it still runs)."""
    found = conn.fetch(call)
    if found is not None:
        stopping = " (stopping)" if found["status"] == "running" else ""
        console.print(f"{what}: {found['status']}{stopping}", markup=False)
