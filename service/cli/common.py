"""Shared pieces of the client verbs: connection options, error handling, rich output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from service.client import BackpropClient, BackpropError, ConfigError

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", envvar="BACKPROP_URL", help="Service URL (default http://127.0.0.1:8000)."
    ),
]
KeyOpt = Annotated[
    str | None,
    typer.Option(
        "--key",
        envvar="BACKPROP_API_KEY",
        help="API key (default: the key `backprop up` saved in $BACKPROP_DATA_DIR/api-key.txt).",
        show_envvar=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the new id.")]

ID_COLUMNS = {"id", "model", "job", "dataset"}
# Piped output is not cut to 80 columns (ids must stay whole); a terminal keeps its width.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200
console = Console(highlight=False, soft_wrap=False, width=_WIDTH)
err_console = Console(stderr=True, highlight=False)


@contextmanager
def connect(url: str | None, key: str | None) -> Iterator[BackpropClient]:
    """A client for the command; service errors become a message and exit code 1."""
    try:
        with BackpropClient(url, key) as client:
            yield client
    except ConfigError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    except BackpropError as exc:
        err_console.print(f"[red]error:[/] {exc.detail}", markup=True)
        for item in exc.errors[1:6]:
            err_console.print(f"  {item.get('field', '')}: {item.get('message', '')}")
        raise typer.Exit(1) from exc
    except httpx.ConnectError as exc:
        where = url or "the service"
        err_console.print(
            f"[red]error:[/] cannot reach {where} ({exc}); is `backprop up` running? "
            "Set --url or BACKPROP_URL."
        )
        raise typer.Exit(1) from exc


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


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A rich table on stdout."""
    out = Table(title=title, title_justify="left", header_style="bold")
    for name in columns:
        if name in ID_COLUMNS:
            out.add_column(name, no_wrap=True, min_width=36)
        else:
            out.add_column(name, overflow="fold")
    count = 0
    for row in rows:
        out.add_row(*(fmt(v) for v in row))
        count += 1
    if count:
        console.print(out)
    else:
        console.print(f"{title or 'nothing'}: none yet")


def facts(title: str, values: dict[str, Any]) -> None:
    """A two-column key/value table."""
    out = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    out.add_column(style="dim")
    out.add_column(overflow="fold")
    for key, value in values.items():
        out.add_row(key, fmt(value))
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
