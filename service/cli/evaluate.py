"""`backprop models evaluate ID --dataset DID [--importance]`: a model's metrics on a
stored data set (registered on the `models` group)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from service.cli.common import facts, fmt, table
from service.cli.conn import Conn, with_conn
from service.cli.models import SUMMARY, app


@app.command("evaluate")
@with_conn
def evaluate(
    conn: Conn,
    model_id: Annotated[str, typer.Argument(help="Model id.")],
    dataset: Annotated[str, typer.Option("--dataset", help="Id of a stored data set.")],
    importance: Annotated[
        bool, typer.Option(help="Add each column's permutation importance.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the importance shuffles.")] = 0,
) -> None:
    """Score a model on a stored data set: accuracy, log loss, ROC AUC, per-class
    precision/recall/F1 and the confusion matrix; MAE, RMSE and R2 for regression."""
    out = conn.fetch(lambda bp: bp.evaluate(model_id, dataset, importance, seed=seed))
    if out is None:
        return
    metrics = out["metrics"]
    facts(
        f"model {model_id} on data set {dataset} ({out['rows']} rows)",
        {name: metrics[name] for name in SUMMARY if name in metrics},
    )
    if "per_class" in metrics:
        rows = [
            [label, m["precision"], m["recall"], m["f1"], m["support"]]
            for label, m in metrics["per_class"].items()
        ]
        table("per class", ("class", "precision", "recall", "f1", "support"), rows)
        cm = metrics["confusion_matrix"]
        labels = [str(label) for label in cm["labels"]]
        table(
            "confusion matrix (rows: true, columns: predicted)",
            ("true \\ predicted", *labels),
            [[label, *counts] for label, counts in zip(labels, cm["matrix"], strict=True)],
        )
    for warning in out.get("warnings", []):
        typer.echo(
            f"warning: column {warning['column']!r}: value {warning['value']!r} "
            f"({warning['rows']} rows) is not a level the model knows",
            err=True,
        )
    if "importance" in out:
        _importance(out["importance"])


def _importance(found: dict[str, Any]) -> None:
    rows = [[c["column"], c["importance"], c["std"]] for c in found["columns"]]
    title = (
        f"permutation importance (drop in {found['metric']} from {fmt(found['baseline'])}, "
        f"{found['rows']} rows, {found['repeats']} shuffles)"
    )
    table(title, ("column", "importance", "std"), rows)
