"""Shared pieces of the client verbs: common options, error handling, rich output."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich import box
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from service.client import (
    BackpropClient,
    BackpropError,
    ConfigError,
    EventStreamError,
    resolve_url,
)

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the new id.")]
LimitOpt = Annotated[int, typer.Option(help="Page size (1-500).")]
OffsetOpt = Annotated[int, typer.Option(help="Skip this many.")]

PIPE_WIDTH = 200
"""Width of piped output without $COLUMNS: lines are not cut at 80 for grep and logs."""
SHORT_ID = 8


class _Console(Console):
    """Width read at print time: $COLUMNS, else the terminal's, else PIPE_WIDTH when piped."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size  # a terminal's (rich asks stdin, stdout and stderr)
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return ConsoleDimensions(int(columns), size.height)
        return size if self.is_terminal else ConsoleDimensions(PIPE_WIDTH, size.height)


console = _Console(highlight=False, soft_wrap=False, emoji=False)
err_console = _Console(stderr=True, highlight=False, emoji=False)


@contextmanager
def connect(url: str | None, key: str | None) -> Iterator[BackpropClient]:
    """A client for the command; service and network errors become one line and exit 1."""
    try:
        with BackpropClient(url, key) as client:
            yield client
    except ConfigError as exc:
        fail(str(exc), code=2, cause=exc)
    except BackpropError as exc:
        details = [f"  {i.get('field', '')}: {i.get('message', '')}" for i in exc.errors[1:6]]
        fail(exc.detail, *details, cause=exc)
    except EventStreamError as exc:
        fail(str(exc), cause=exc)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        fail(
            f"invalid service URL {resolve_url(url)!r}: {exc}; check --url or BACKPROP_URL",
            cause=exc,
        )
    except httpx.ConnectError as exc:
        fail(
            f"cannot reach {resolve_url(url)} ({exc}); is `backprop up` running? "
            "Set --url or BACKPROP_URL.",
            cause=exc,
        )
    except httpx.TimeoutException as exc:
        fail(
            f"{resolve_url(url)} did not answer in time ({type(exc).__name__}); try again",
            cause=exc,
        )
    except httpx.HTTPError as exc:
        fail(f"request to {resolve_url(url)} failed: {type(exc).__name__}: {exc}", cause=exc)


def fail(
    message: str, *details: str, code: int = 1, cause: BaseException | None = None
) -> NoReturn:
    """Print `error: message` (plus detail lines) on stderr, never as markup, and exit."""
    err_console.print(f"[red]error:[/] {escape(message)}")
    for line in details:
        err_console.print(line, markup=False)
    raise typer.Exit(code) from cause


def short_time(iso: str) -> str:
    """'2026-11-24T01:02:03.456Z' -> '2026-11-24 01:02' for tables."""
    return iso[:16].replace("T", " ")


def print_json(data: Any) -> None:
    """Indented JSON on stdout, nothing else."""
    typer.echo(json.dumps(data, indent=2, default=str))


def fmt(value: Any, digits: int = 4) -> str:
    """Numbers short, None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e5 else f"{value:.0f}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def short_id(value: Any) -> Any:
    """The first 8 characters of an id (the full one is in `show` and --json)."""
    return value[:SHORT_ID] if isinstance(value, str) else value


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    optional: Sequence[str] = (),
) -> None:
    """A borderless table on stdout; text is never markup. The first column (the full id)
    never wraps; `optional` columns, first listed first, are hidden (with a note) while the
    table is wider than the terminal."""
    cells = [[fmt(v) for v in row] for row in rows]
    if not cells:
        console.print(Text(f"{title or 'nothing'}: none yet"))
        return
    shown = list(columns)
    hidden: list[str] = []
    out = _table(title, columns, shown, cells)
    for name in optional:
        if _natural_width(out) <= console.width:
            break
        shown.remove(name)
        hidden.append(name)
        out = _table(title, columns, shown, cells)
    console.print(out)
    if hidden:
        console.print(
            Text(f"(hidden to fit {console.width} columns: {', '.join(hidden)}; see --json)"),
            style="dim",
        )


def _natural_width(out: Table) -> int:
    """Columns a table needs to show every cell on one line."""
    return console.measure(out, options=console.options.update_width(100_000)).maximum


def _table(
    title: str | None, columns: Sequence[str], shown: Sequence[str], cells: list[list[str]]
) -> Table:
    out = Table(
        title=None if title is None else Text(title),
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    index = [columns.index(name) for name in shown]
    first = max(len(row[0]) for row in cells)
    for i in index:
        if i == 0:
            out.add_column(Text(columns[i]), no_wrap=True, min_width=first)
        else:
            out.add_column(Text(columns[i]), overflow="fold")
    for row in cells:
        out.add_row(*(Text(row[i]) for i in index))
    return out


def facts(title: str, values: dict[str, Any]) -> None:
    """A two-column key/value table."""
    out = Table(
        title=Text(title), title_justify="left", show_header=False, box=None, pad_edge=False
    )
    out.add_column(style="dim")
    out.add_column(overflow="fold")
    for key, value in values.items():
        out.add_row(Text(key), Text(fmt(value)))
    console.print(out)


def page_note(page: dict[str, Any]) -> None:
    """'showing 1-50 of 120' under a list when there is more than one page."""
    shown = len(page["items"])
    if page["total"] > shown:
        start = page["offset"] + 1
        console.print(
            f"[dim]showing {start}-{page['offset'] + shown} of {page['total']}; "
            "use --offset/--limit for more[/]"
        )
