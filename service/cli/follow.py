"""`backprop jobs follow`'s progress bar: a job's event stream drawn on stderr."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from service.cli.common import err_console, fmt
from service.cli.numbers import loss_label
from service.client import BackpropClient


def follow_job(bp: BackpropClient, job_id: str) -> dict[str, Any]:
    """Render the events stream as a progress bar on stderr; returns the finished job.

    At the end the ETA is cleared, and a succeeded job's bar is complete even when early
    stopping ended it before its last planned epoch."""
    job = bp.get_job(job_id)
    short = escape(job_id[:8])
    label = escape(loss_label(job["training"]))
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(label + " {task.fields[loss]}"),
        TextColumn("val {task.fields[val]}"),
        TextColumn("ETA {task.fields[eta]}"),
        console=err_console,
    )
    total = int(job["training"].get("epochs") or 1)
    last = 0
    ended: dict[str, Any] = {}
    with progress:
        bar = progress.add_task(
            f"job {short} {escape(job['status'])}", total=total, loss="–", val="–", eta="–"
        )
        for event in bp.iter_events(job_id):
            data = event.data if isinstance(event.data, dict) else {}
            if event.event in ("status", "end"):
                status = escape(str(data.get("status")))
                progress.update(bar, description=f"job {short} {status}")
            if event.event == "end":
                ended = data
                progress.update(bar, eta="–")
                planned = int(progress.tasks[0].total or total)
                if data.get("status") == "succeeded" and last:
                    progress.update(bar, total=last, completed=last)
                    if last < planned:
                        status = f"{status}, stopped early at {last} of {planned}"
                        progress.update(bar, description=f"job {short} {status}")
            elif event.event == "epoch":
                last = max(last, int(data["epoch"]))
                progress.update(
                    bar,
                    completed=data["epoch"],
                    loss=fmt(data["loss"]),
                    val=fmt(data.get("val_loss")),
                )
            elif event.event == "progress":
                eta = data.get("eta_seconds")
                last = max(last, int(data.get("epoch") or 0))
                progress.update(
                    bar,
                    total=data.get("epochs") or total,
                    completed=data.get("epoch", 0),
                    eta="–" if eta is None else f"{eta:.0f}s",
                )
    best = (ended.get("metrics") or {}).get("restored_best_epoch")
    if best is not None:
        m = ended["metrics"]
        err_console.print(
            f"model: best epoch {best}, restored by early stopping: "
            f"{loss_label(job['training'])} {fmt(m.get('loss'))} val {fmt(m.get('val_loss'))} "
            f"(bar: epoch {m.get('epochs_run')})",
            markup=False,
        )
    return bp.get_job(job_id)
