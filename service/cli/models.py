"""`backprop models list|show|predict|download|export|delete`."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from service.cli.commands import delete_command, list_command
from service.cli.common import facts, fmt, print_json, short_id, short_time, table
from service.cli.conn import Conn, with_conn
from service.cli.numbers import epochs_text, labelled_metrics
from service.cli.verbs import Listing, save_file
from service.client import BackpropClient

app = typer.Typer(help="Inspect trained models and predict with them.", no_args_is_help=True)
MAX_PROB_COLUMNS = 10
SUMMARY = ("rows", "accuracy", "log_loss", "roc_auc", "mae", "rmse", "r2")
"""The evaluate metrics shown as facts (also by `models evaluate`)."""
ModelRef = Annotated[str, typer.Argument(help="Model id, NAME@ALIAS or NAME@VERSION.")]


def _row(m: dict[str, Any]) -> list[Any]:
    metrics = m["metrics"]
    return [m["id"], m["task"], m["num_params"], accuracy(metrics), metrics.get("val_loss"),
            short_id(m["job_id"]), short_time(m["created_at"])]  # fmt: skip


def accuracy(metrics: dict[str, Any]) -> str | None:
    """Validation accuracy when the job held out data, else training accuracy, labelled."""
    for name, label in (("val_accuracy", "val"), ("accuracy", "train")):
        if metrics.get(name) is not None:
            return f"{fmt(metrics[name])} ({label})"
    return None


list_command(
    app, "Your trained models, newest first.", BackpropClient.list_models,
    Listing("models", ("id", "task", "params", "accuracy", "val loss", "job", "created"), _row,
            optional=("created", "job", "params")),
)  # fmt: skip


@app.command("show")
@with_conn
def show(
    conn: Conn,
    model_id: ModelRef,
) -> None:
    """Layers with shapes and parameter counts, metrics, input schema and classes."""
    model = conn.fetch(lambda bp: bp.get_model(model_id))
    if model is None:
        return
    schema = model["input_schema"]
    facts(
        f"model {model['id']}",
        {
            "task": model["task"],
            "job": model["job_id"],
            "dataset": model["dataset_id"],
            "parameters": model["num_params"],
            "classes": ", ".join(map(str, model["classes"])) if model.get("classes") else None,
            "features": ", ".join(schema.get("feature_names") or []) or schema.get("features"),
            "created": model["created_at"],
        },
    )
    specs = model["network"].get("layers", [])
    rows = []
    for layer in model["layers"]:
        spec = specs[layer["index"]] if layer["index"] < len(specs) else {}
        details = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "type" and v is not None)
        shape = "(" + ", ".join(map(str, layer["output_shape"])) + ")"
        rows.append([layer["index"], layer["type"], details, shape, layer["params"]])
    table("layers", ("#", "type", "details", "output shape", "params"), rows)
    metrics = dict(model["metrics"])
    validation = metrics.pop("validation", None)
    epochs = epochs_text(metrics, None)
    facts("metrics", {**({"epochs": epochs} if epochs else {}), **labelled_metrics(metrics)})
    if validation:  # the evaluate metrics of the validation split; `models evaluate` for more
        facts("validation split", {k: validation[k] for k in SUMMARY if k in validation})
    registered = [
        f"{r['name']}@{r['version']}" + "".join(f", {r['name']}@{a}" for a in r["aliases"])
        for r in model.get("registered_as") or []
    ]
    if registered:
        facts("registry", {"registered as": "; ".join(registered)})
    lineage = model.get("lineage") or {}
    keys = ("dataset_sha256", "seed", "attempts", "training_seconds", "service_version")
    if lineage:
        facts("lineage", {k: lineage.get(k) for k in keys})


NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(nan|inf|infinity)", re.I)
"""What a header cell of numbers looks like (a CSV without a header row)."""


def read_instances(
    instances: str | None,
    csv_path: Path | None,
    feature_names: list[str],
    columns: list[dict[str, Any]] | None = None,
) -> list[Any]:
    """Rows from --instances JSON or a CSV file (a header row picks columns by name). For a
    model trained on a table (`columns` from its input schema) a CSV with a header becomes
    records by column name: empty cells are gaps, text stays text in categorical columns."""
    if (instances is None) == (csv_path is None):
        raise typer.BadParameter("give exactly one of --instances JSON or --csv FILE")
    if instances is not None:
        try:
            rows = json.loads(instances)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"--instances is not valid JSON: {exc}") from exc
        if isinstance(rows, dict) and "instances" in rows:
            rows = rows["instances"]
        if isinstance(rows, dict):
            rows = [rows]  # one record
        elif isinstance(rows, list) and rows and not isinstance(rows[0], list | dict):
            rows = [rows]  # one row
        return rows
    with csv_path.open(newline="") as handle:
        table_rows = [r for r in csv.reader(handle) if r and any(c.strip() for c in r)]
    if not table_rows:
        raise typer.BadParameter(f"{csv_path} has no rows")
    if not all(NUMBER.fullmatch(c.strip()) for c in table_rows[0]):
        header = [c.strip() for c in table_rows[0]]
        missing = [n for n in feature_names if n not in header]
        if missing:
            raise typer.BadParameter(f"{csv_path}: the header lacks feature columns {missing}")
        order = [header.index(n) for n in feature_names]
        if columns:
            return [
                _record(row, order, columns, csv_path, i) for i, row in enumerate(table_rows[1:], 2)
            ]
        table_rows = [[row[i] for i in order] for row in table_rows[1:]]
    try:
        return [[float(c) for c in row] for row in table_rows]
    except ValueError as exc:
        raise typer.BadParameter(f"{csv_path}: {exc}") from exc


def _record(
    row: list[str], order: list[int], columns: list[dict[str, Any]], path: Path, line: int
) -> dict[str, Any]:
    """One CSV row as {column: value}: "" -> null, numbers for numeric columns."""
    record: dict[str, Any] = {}
    for index, column in zip(order, columns, strict=True):
        text = row[index].strip() if index < len(row) else ""
        if not text:
            record[column["name"]] = None
        elif column["kind"] == "numeric":
            try:
                record[column["name"]] = float(text)
            except ValueError:
                raise typer.BadParameter(
                    f"{path}, line {line}: {column['name']}={text!r} is not a number"
                ) from None
        else:
            record[column["name"]] = text
    return record


@app.command("predict")
@with_conn
def predict(
    conn: Conn,
    model_id: ModelRef,
    instances: Annotated[
        str | None, typer.Option(help='Rows as JSON, e.g. "[[13.2, 1.78, ...]]".')
    ] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            exists=True,
            dir_okay=False,
            help="CSV of rows; with a header, columns are matched to the model's features "
            "by name (the label column is ignored).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Predict at most this many rows.")] = 10000,
) -> None:
    """Predict labels (with class probabilities) or values for rows of features."""
    with conn.client() as bp:
        model = bp.get_model(model_id)
        schema = model["input_schema"]
        names = schema.get("feature_names") or []
        rows = read_instances(instances, csv_path, names, schema.get("columns"))[:limit]
        out = bp.predict(model_id, rows)
    classes = model.get("classes")
    if conn.json_out:
        print_json(out)
        return
    probs = out.get("probabilities")
    columns = ["#", "prediction"]
    if probs and classes and len(classes) <= MAX_PROB_COLUMNS:
        columns += [f"p({c})" for c in classes]
    table_rows = []
    for i, pred in enumerate(out["predictions"]):
        row = [i + 1, pred]
        if len(columns) > 2:
            row += [fmt(p, 3) for p in probs[i]]
        table_rows.append(row)
    table("predictions", columns, table_rows)


@app.command("download")
@with_conn(json=False)
def download(
    conn: Conn,
    model_id: ModelRef,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default model-<id>.npz).")
    ] = None,
) -> None:
    """Save the model as .npz: weights (keys like layers.0.W), preprocessing and spec.json;
    the README shows how to run it with NumPy alone."""
    output = output or Path(f"model-{model_id}.npz")
    save_file(conn, lambda bp: len(bp.download_weights(model_id, output)), output)


@app.command("export")
@with_conn(json=False)
def export(
    conn: Conn,
    model_id: ModelRef,
    file_format: Annotated[str, typer.Option("--format", help="File format: onnx.")] = "onnx",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default model-<id>.<format>).")
    ] = None,
) -> None:
    """Save the model as a portable file: ONNX with the input scaling inside, input
    `input`, outputs `predictions` and (classifiers) `probabilities`."""
    output = output or Path(f"model-{model_id}.{file_format}")
    save_file(conn, lambda bp: len(bp.export_model(model_id, file_format, output)), output)


delete_command(app, "Delete a trained model.", [("model_id", ModelRef)],
               BackpropClient.delete_model, "deleted model {model_id}")  # fmt: skip
