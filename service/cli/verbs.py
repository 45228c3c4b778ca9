"""The shapes most resource commands share: list a page, show one object, delete one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from service.cli.common import connect, console, fetch, page_note, table
from service.client import BackpropClient

Row = list[Any]


def list_page(
    url: str | None,
    key: str | None,
    json_out: bool,
    call: Callable[[BackpropClient], dict[str, Any]],
    title: str,
    columns: Sequence[str],
    row: Callable[[dict[str, Any]], Row],
    optional: Sequence[str] = (),
    note: Callable[[list[Row]], str | None] | None = None,
) -> None:
    """Fetch one page ({items, total, offset}); print it as JSON with --json, else as a
    table of `row(item)`, then `note(rows)` (markup, when not None) and 'showing n of total'."""
    page = fetch(url, key, json_out, call)
    if page is None:
        return
    rows = [row(item) for item in page["items"]]
    table(title, columns, rows, optional=optional)
    text = note(rows) if note is not None else None
    if text is not None:
        console.print(text)
    page_note(page)


def show_one(
    url: str | None,
    key: str | None,
    json_out: bool,
    call: Callable[[BackpropClient], dict[str, Any]],
    render: Callable[[dict[str, Any]], None],
) -> None:
    """Fetch one object; print it as JSON with --json, else `render` it (key/value lines)."""
    found = fetch(url, key, json_out, call)
    if found is not None:
        render(found)


def delete_one(
    url: str | None,
    key: str | None,
    call: Callable[[BackpropClient], object],
    done: str,
) -> None:
    """Run the delete `call`, then print `done` (plain text, never markup)."""
    with connect(url, key) as bp:
        call(bp)
    console.print(done, markup=False)
