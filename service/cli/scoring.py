"""`backprop models score`: batch scoring of a stored data set on the workers."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from service.cli.commands import delete_command, show_command
from service.cli.common import console, err_console, facts, fail, print_json
from service.cli.conn import Conn, with_conn
from service.cli.models import app
from service.cli.verbs import report_new, save_file
from service.client import BackpropClient

POLL_SECONDS = 0.5


@app.command("score")
@with_conn
def score(
    conn: Conn,
    model_id: Annotated[str, typer.Argument(help="Model id.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Data set id to score.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Show progress until the run ends.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Save the CSV here when the run succeeds (follows)."),
    ] = None,
) -> None:
    """Score every row of a stored data set on the workers: a CSV of its columns, the
    prediction and, for classifiers, p(<class>) per class."""
    with conn.client() as bp:
        run = bp.score(model_id, dataset)
        if not follow and output is None:
            hint = lambda _: _follow_hint(model_id, dataset)  # noqa: E731
            report_new(conn, run, False, "queued scoring run", hint)
            return
        run = follow_run(bp, model_id, run)
        if run["status"] == "succeeded" and output is not None:
            size = bp.download_scores(model_id, run["id"], output)
    if conn.json_out:
        print_json(run)
    else:
        facts(f"scoring run {run['id']}", _summary(run))
    if run["status"] != "succeeded":
        fail(f"scoring run {run['status']}: {run.get('error') or 'no rows were saved'}")
    if output is not None and not conn.json_out:
        console.print(f"saved {size} bytes to {output}", markup=False)


def _follow_hint(model_id: str, dataset: str) -> None:
    console.print(
        f"follow it with: backprop models score {model_id} --dataset {dataset} "
        "--follow (or GET its Location)",
        markup=False,
    )


def follow_run(bp: BackpropClient, model_id: str, run: dict[str, Any]) -> dict[str, Any]:
    """Poll the run, drawing rows scored as a bar on stderr; returns the ended run."""
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console
    )
    with progress:
        bar = progress.add_task(f"scoring {escape(run['status'])}", total=None)
        while True:
            done = run["progress"]
            progress.update(
                bar,
                description=f"scoring {escape(run['status'])}",
                total=done["total"] or None,
                completed=done["rows"],
            )
            if run["status"] in ("succeeded", "failed", "cancelled"):
                return run
            time.sleep(POLL_SECONDS)
            run = bp.get_scoring(model_id, run["id"])


def _summary(run: dict[str, Any]) -> dict[str, Any]:
    out = {
        "status": run["status"],
        "rows": f"{run['progress']['rows']} of {run['progress']['total']}",
        "error": run.get("error"),
        "download": run.get("download"),
    }
    for warning in run.get("warnings", [])[:5]:
        out[f"unseen {warning['column']}"] = f"{warning['value']!r} in {warning['rows']} rows"
    return out


RunArg = Annotated[str, typer.Argument(help="Scoring run id (from models score).")]
ModelArg = Annotated[str, typer.Argument(help="Model id (or name@alias).")]
RUN = [("model_id", ModelArg), ("run_id", RunArg)]


def _facts(run: dict[str, Any]) -> None:
    facts(f"scoring run {run['id']}", _summary(run))


show_command(app, "A scoring run: status, rows scored, unseen levels, error and where to "
             "download it.", RUN, BackpropClient.get_scoring, _facts, name="scoring")  # fmt: skip


@app.command("scoring-download")
@with_conn(json=False)
def scoring_download(
    conn: Conn,
    model_id: ModelArg,
    run_id: RunArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to save the CSV.")],
) -> None:
    """Save a succeeded run's CSV (streamed, never whole in memory)."""
    save_file(conn, lambda bp: bp.download_scores(model_id, run_id, output), output)


show_command(app, "Cancel a queued or running scoring run.", RUN, BackpropClient.cancel_scoring,
             _facts, name="scoring-cancel")  # fmt: skip
delete_command(app, "Delete an ended scoring run and its stored rows.", RUN,
               BackpropClient.delete_scoring, "deleted run {run_id}",
               name="scoring-delete")  # fmt: skip
