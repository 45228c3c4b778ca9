"""`backprop datasets upload|list|show|delete`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from service.cli.commands import delete_command, list_command, show_command
from service.cli.common import QuietOpt, facts, short_time
from service.cli.conn import Conn, with_conn
from service.cli.verbs import Listing, report_new
from service.client import BackpropClient

app = typer.Typer(help="Upload and manage datasets.", no_args_is_help=True)

COLUMNS = ("id", "name", "format", "task", "rows", "features", "classes", "created")
OPTIONAL = ("created", "format", "classes")  # hidden first when the terminal is narrow
DATASET_ID = ("dataset_id", Annotated[str, typer.Argument(help="Dataset id.")])


def _row(d: dict[str, Any]) -> list[Any]:
    classes = ", ".join(map(str, d["classes"])) if d.get("classes") else "–"
    return [d["id"], d["name"], d["format"], d["task"], d["rows"], d["features"], classes,
            short_time(d["created_at"])]  # fmt: skip


@app.command("upload")
@with_conn
def upload(
    conn: Conn,
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".csv, .npz or .json")],
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="CSV: the label column; JSON: the label's name."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Name (default: the file name).")] = None,
    task: Annotated[
        Literal["classification", "regression"] | None,
        typer.Option(help="classification or regression (default: guessed)."),
    ] = None,
    impute: Annotated[
        Literal["mean", "median"] | None,
        typer.Option(
            help="CSV/JSON table: fill missing numbers with the mean or median of each "
            "job's training rows (default: refuse them).",
        ),
    ] = None,
    categorical: Annotated[
        str | None,
        typer.Option(help="CSV/JSON table: columns to read as categories, e.g. zip,grade."),
    ] = None,
    ignore: Annotated[
        str | None, typer.Option(help="CSV/JSON table: columns to leave out, e.g. id,notes.")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Upload a dataset file; prints its id, rows, features and classes.

    A .json file holds {"X": [[...]], "y": [...]} and optionally feature_names and target."""
    suffix = path.suffix.lower()
    if suffix == ".csv" and not target:
        raise typer.BadParameter("a CSV needs --target: the name of the label column")
    if (impute or categorical or ignore) and suffix not in (".csv", ".json"):
        raise typer.BadParameter("--impute, --categorical and --ignore apply to CSV and JSON")
    table = {"impute": impute, "categorical": _names(categorical), "ignore": _names(ignore)}
    with conn.client() as bp:
        dataset = bp.upload_dataset(path, target=target, name=name, task=task, **table)
    report_new(conn, dataset, quiet, "uploaded dataset", _show)


def _names(text: str | None) -> list[str] | None:
    """'a, b' -> ['a', 'b']."""
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


list_command(
    app, "Your datasets, newest first.", BackpropClient.list_datasets,
    Listing("datasets", COLUMNS, _row, optional=OPTIONAL),
)  # fmt: skip


def _show(d: dict[str, Any]) -> None:
    facts(
        f"dataset {d['name']}",
        {
            "id": d["id"],
            "format": d["format"],
            "task": d["task"],
            "rows": d["rows"],
            "features": d["features"],
            "input shape": d["input_shape"],
            "target": d["target"],
            "classes": ", ".join(map(str, d["classes"])) if d.get("classes") else None,
            "feature names": ", ".join(d["feature_names"]),
            "size": f"{d['size_bytes']} bytes",
            "created": d["created_at"],
        },
    )


show_command(app, "One dataset: shape, task, classes and feature names.", [DATASET_ID],
             BackpropClient.get_dataset, _show)  # fmt: skip
delete_command(app, "Delete a dataset (models trained on it keep working).", [DATASET_ID],
               BackpropClient.delete_dataset, "deleted dataset {dataset_id}")  # fmt: skip
