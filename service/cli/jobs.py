"""`backprop jobs submit|list|show|cancel|delete|history|follow`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from service.cli.commands import list_command, show_command
from service.cli.common import (
    console,
    err_console,
    facts,
    print_json,
    short_id,
    short_time,
    table,
)
from service.cli.conn import Conn, with_conn
from service.cli.follow import follow_job
from service.cli.numbers import epochs_text, labelled_metrics
from service.cli.spec_file import DatasetOpt, load_spec, spec_argument
from service.cli.verbs import Listing, Row, cancel_one, delete_one, report_new, show_one
from service.client import BackpropClient

app = typer.Typer(help="Submit, follow and manage training jobs.", no_args_is_help=True)
FAILED = ("failed", "cancelled")
FollowOpt = Annotated[
    bool, typer.Option("--follow", "-f", help="Show a progress bar until the job ends.")
]
JobId = Annotated[str, typer.Argument(help="Job id.")]


@app.command("submit")
@with_conn
def submit(
    conn: Conn,
    spec_file: Annotated[
        Path, spec_argument("JSON: dataset_id, network, training (and max_runtime_seconds).")
    ],
    dataset: DatasetOpt = None,
    max_runtime_seconds: Annotated[
        float | None,
        typer.Option(
            help="Fail the job (keeping its checkpoint) past this much training time "
            "(default: the server's limit; overrides the spec file's).",
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option(help="Submitting again with the same key returns the same job."),
    ] = None,
    follow: FollowOpt = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only the job id (with --follow: the model id)."),
    ] = False,
) -> None:
    """Queue a training job from a spec file; --follow watches it train."""
    spec = load_spec(spec_file, dataset, max_runtime_seconds)
    with conn.client() as bp:
        job = bp.submit_job(spec, idempotency_key=idempotency_key)
        if not follow:
            report_new(conn, job, quiet, "queued job", _follow_hint)
            return
        if not quiet and not conn.json_out:
            console.print(f"queued job [bold]{escape(job['id'])}[/]")
        final = follow_job(bp, job["id"])
    _report(final, quiet, conn.json_out)


def _follow_hint(job: dict[str, Any]) -> None:
    console.print(f"follow it with: backprop jobs follow {job['id']}", markup=False)


@app.command("follow")
@with_conn
def follow_cmd(
    conn: Conn,
    job_id: JobId,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the model id.")] = False,
) -> None:
    """Show a job's progress bar (epoch, loss, validation loss, ETA) until it ends."""
    with conn.client() as bp:
        final = follow_job(bp, job_id)
    _report(final, quiet, conn.json_out)


def _report(job: dict[str, Any], quiet: bool, json_out: bool) -> None:
    """The finished job's outcome; exit code 1 unless it succeeded (never 0 for a job that
    has not ended)."""
    if quiet:
        if job.get("model_id"):
            typer.echo(job["model_id"])
    elif json_out:
        print_json(job)
    else:
        _show(job)
        if job.get("model_id"):
            console.print(
                f"try it: backprop models predict {job['model_id']} "
                "--csv FILE (or --instances JSON)",
                markup=False,
            )
    if job["status"] in FAILED:
        error = f": {job['error']}" if job.get("error") else ""
        err_console.print(f"job {job['id']} {job['status']}{error}", markup=False)
        raise typer.Exit(1)
    if job["status"] != "succeeded":
        err_console.print(
            f"job {job['id']} has not ended (still {job['status']}); "
            f"follow it again with: backprop jobs follow {job['id']}",
            markup=False,
        )
        raise typer.Exit(1)


def _job_row(j: dict[str, Any]) -> Row:
    p, m = j.get("progress") or {}, j.get("metrics") or {}
    epochs = f"{p['epoch']}/{p['epochs']}" if p else "–"
    if m.get("restored_best_epoch") is not None:
        epochs += f" best {m['restored_best_epoch']}"
    return [j["id"], j["status"], epochs, m.get("loss"), m.get("val_loss"),
            short_id(j.get("model_id")), short_time(j["created_at"])]  # fmt: skip


def _best_note(rows: list[Row]) -> str | None:
    """What 'best N' in the epoch column means, when a row has it."""
    if not any(" best " in row[2] for row in rows):
        return None
    return (
        "[dim]best N: the losses are of epoch N, restored by early stopping "
        "(jobs show ID has the last epoch's too)[/]"
    )


list_command(
    app, "Your jobs, newest first.", BackpropClient.list_jobs,
    Listing("jobs", ("id", "status", "epoch", "loss", "val loss", "model", "created"),
            _job_row, optional=("created", "model"), note=_best_note),
    status="Only jobs with this status (queued, running, ...).",
)  # fmt: skip


def _show(job: dict[str, Any]) -> None:
    p = job.get("progress") or {}
    values: dict[str, Any] = {
        "id": job["id"],
        "status": job["status"],
        "dataset": job["dataset_id"],
        "epochs": epochs_text(job.get("metrics"), p),
        "samples/s": p.get("samples_per_second"),
        "eta": None
        if p.get("eta_seconds") is None or job["status"] != "running"
        else f"{p['eta_seconds']:.0f}s",
        "error": job.get("error"),
        "model": job.get("model_id"),
        "created": job["created_at"],
        "finished": job.get("finished_at"),
    }
    values.update(labelled_metrics(job.get("metrics")))
    facts(f"job {job['id'][:8]}", {k: v for k, v in values.items() if v is not None})


show_command(app, "Status, progress, latest metrics, error and model id of one job.",
             [("job_id", JobId)], BackpropClient.get_job, _show)  # fmt: skip


@app.command("cancel")
@with_conn
def cancel(
    conn: Conn,
    job_id: JobId,
    keep_model: Annotated[
        bool,
        typer.Option(
            "--keep-model",
            help="Save the last finished epoch (the restored best one with early stopping's "
            "restore_best) as a model.",
        ),
    ] = False,
) -> None:
    """Cancel a job: a queued one at once, a running one between two mini-batches."""
    cancel_one(conn, lambda bp: bp.cancel_job(job_id, keep_model=keep_model), f"job {job_id}")


@app.command("delete")
@with_conn(json=False)
def delete(
    conn: Conn,
    job_id: JobId,
    delete_model: Annotated[
        bool, typer.Option("--delete-model", help="Also delete the model the job trained.")
    ] = False,
) -> None:
    """Delete a finished job with its history; its model stays unless --delete-model."""
    model = " and its model, if it had one" if delete_model else ""
    call = lambda bp: bp.delete_job(job_id, delete_model=delete_model)  # noqa: E731
    delete_one(conn, call, f"deleted job {job_id}{model}")


@app.command("history")
@with_conn
def history(conn: Conn, job_id: JobId) -> None:
    """One line per finished epoch: loss, validation loss, metrics, seconds."""
    show_one(conn, lambda bp: bp.history(job_id), lambda h: _history(job_id, h))


def _history(job_id: str, hist: dict[str, Any]) -> None:
    """One table row per finished epoch."""
    epochs = hist["epochs"]
    names = sorted({k for e in epochs for k in e["metrics"]})
    rows = [
        [e["epoch"], e["loss"], e["val_loss"], *(e["metrics"].get(n) for n in names), e["seconds"]]
        for e in epochs
    ]
    table(f"history of job {job_id[:8]} ({hist['status']})",
          ("epoch", "loss", "val loss", *names, "seconds"), rows)  # fmt: skip
