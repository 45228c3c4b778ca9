"""`backprop searches submit|list|show|trials|cancel`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

from service.cli.commands import delete_command, list_command, show_command
from service.cli.common import (
    console,
    err_console,
    facts,
    fmt,
    print_json,
    short_id,
    short_time,
    table,
)
from service.cli.conn import Conn, with_conn
from service.cli.spec_file import DatasetOpt, load_spec, spec_argument
from service.cli.verbs import Listing, cancel_one
from service.client import BackpropClient

app = typer.Typer(help="Hyperparameter searches: many trial jobs at once.", no_args_is_help=True)
TRIAL_COLUMNS = ("trial", "status", "value", "epochs", "params", "job")
SearchId = Annotated[str, typer.Argument(help="Search id.")]
SEARCH_ID = ("search_id", SearchId)


@app.command("submit")
@with_conn
def submit(
    conn: Conn,
    spec_file: Annotated[
        Path, spec_argument("JSON: a job body plus space, strategy, objective, pruning.")
    ],
    dataset: DatasetOpt = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="A live table of trials until it ends.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the id.")] = False,
) -> None:
    """Start a search from a spec file; --follow shows its trials and the best so far."""
    spec = load_spec(spec_file, dataset)
    with conn.client() as bp:
        search = bp.submit_search(spec)
        if quiet and not follow:
            typer.echo(search["id"])
            return
        if conn.json_out and not follow:
            print_json(search)
            return
        console.print(f"started search {search['id']}", markup=False)
        if not follow:
            console.print(f"follow it with: backprop searches show {search['id']}", markup=False)
            return
        final, trials = follow_search(bp, search["id"]), bp.search_trials(search["id"])
    _report(final, trials, conn.json_out)


def _report(search: dict[str, Any], trials: dict[str, Any], json_out: bool) -> None:
    """A followed search's outcome: its trials and facts (or JSON); exit 1 unless it
    succeeded."""
    if json_out:
        print_json(search)
        return
    _trials_table(trials)
    _show(search)
    if search["status"] != "succeeded":
        raise typer.Exit(1)


def follow_search(bp: BackpropClient, search_id: str) -> dict[str, Any]:
    """A live table of trials on stderr, redrawn on each event; returns the ended search."""
    with Live(console=err_console, auto_refresh=False, transient=True) as live:
        for event in bp.iter_search_events(search_id):
            if event.event == "end":
                break
            if event.event in ("trial_started", "trial_ended", "best", "status"):
                live.update(_live_table(bp.get_search(search_id), bp.search_trials(search_id)))
                live.refresh()
    return bp.get_search(search_id)


def _rows(trials: dict[str, Any]) -> list[list[Any]]:
    return [
        [t["trial"], t["status"], t["value"], t["epochs_run"], _params(t["params"]), t["job_id"]]
        for t in trials["trials"]
    ]


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"{path.rsplit('.', 1)[-1]}={fmt(v, 3)}" for path, v in params.items())


def _live_table(search: dict[str, Any], trials: dict[str, Any]) -> Table:
    best = search.get("best") or {}
    counts = ", ".join(f"{n} {s}" for s, n in search["trials"].items() if n)
    title = (
        f"search {search['id'][:8]} {search['status']}: {counts}; "
        f"{search['progress'] * 100:.0f}% done; best {fmt(best.get('value'))} (trial "
        f"{fmt(best.get('trial'))})"
    )
    out = Table(title=Text(title), title_justify="left", box=None)
    for column in TRIAL_COLUMNS:
        out.add_column(column)
    for row in _rows(trials):
        out.add_row(*(Text(fmt(short_id(v) if i == 5 else v)) for i, v in enumerate(row)))
    return out


def _trials_table(trials: dict[str, Any]) -> None:
    objective = trials["objective"]
    title = f"trials ({objective['metric']}, {objective['direction']})"
    rows = [[*row[:-1], short_id(row[-1])] for row in _rows(trials)]
    table(title, TRIAL_COLUMNS, rows, optional=("job",))


def _search_row(s: dict[str, Any]) -> list[Any]:
    return [s["id"], s["status"], f"{sum(s['trials'].values())}/{s['total_trials']}",
            (s.get("best") or {}).get("value"), s["objective"]["metric"],
            short_time(s["created_at"])]  # fmt: skip


list_command(
    app, "Your searches, newest first.", BackpropClient.list_searches,
    Listing("searches", ("id", "status", "trials", "best", "metric", "created"), _search_row),
)  # fmt: skip


def _show(search: dict[str, Any]) -> None:
    best = search.get("best") or {}
    values: dict[str, Any] = {
        "id": search["id"],
        "status": search["status"],
        "trials": ", ".join(f"{n} {s}" for s, n in search["trials"].items() if n) or None,
        "of": search["total_trials"],
        "progress": f"{search['progress'] * 100:.0f}%",
        "eta": None if search.get("eta_seconds") is None else f"{search['eta_seconds']:.0f}s",
        "objective": f"{search['objective']['metric']} ({search['objective']['direction']})",
        "best value": best.get("value"),
        "best trial": best.get("trial"),
        "best params": best.get("params"),
        "best model": best.get("model_id"),
        "error": search.get("error"),
    }
    facts(f"search {search['id'][:8]}", {k: v for k, v in values.items() if v is not None})


show_command(app, "Status, trial counts, progress, ETA and the best trial of one search.",
             [SEARCH_ID], BackpropClient.get_search, _show)  # fmt: skip


show_command(
    app, "Every trial: status, objective value, epochs run, params and job.",
    [SEARCH_ID], BackpropClient.search_trials, _trials_table, name="trials",
)  # fmt: skip


@app.command("cancel")
@with_conn
def cancel(conn: Conn, search_id: SearchId) -> None:
    """Start no more trials and stop the running ones between two mini-batches."""
    cancel_one(conn, lambda bp: bp.cancel_search(search_id), f"search {search_id}")


@app.command("follow")
@with_conn
def follow(conn: Conn, search_id: SearchId) -> None:
    """A live table of the search's trials, from its event stream, until it ends."""
    with conn.client() as bp:
        final, trials = follow_search(bp, search_id), bp.search_trials(search_id)
    _report(final, trials, conn.json_out)


delete_command(app, "Delete an ended search with its trial jobs (their models stay).",
               [SEARCH_ID], BackpropClient.delete_search, "deleted search {search_id}")  # fmt: skip
