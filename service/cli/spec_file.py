"""The spec file of `jobs submit` and `searches submit`: a JSON job body (a search's adds its
space, strategy, objective and pruning), with --dataset overriding its dataset_id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.models import ArgumentInfo

DatasetOpt = Annotated[
    str | None, typer.Option("--dataset", "-d", help="Dataset id (overrides dataset_id).")
]


def spec_argument(help: str) -> ArgumentInfo:
    """The SPEC_FILE argument: an existing file, `help` saying what it holds."""
    return typer.Argument(exists=True, dir_okay=False, help=help)


def load_spec(
    path: Path, dataset: str | None, max_runtime_seconds: float | None = None
) -> dict[str, Any]:
    """The spec file's object with --dataset and --max-runtime-seconds applied; a usage
    error when it is not a JSON object or names no dataset."""
    try:
        spec = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(spec, dict):
        raise typer.BadParameter(f"{path} must hold an object {{dataset_id, network, training}}")
    if dataset:
        spec["dataset_id"] = dataset
    if max_runtime_seconds is not None:
        spec["max_runtime_seconds"] = max_runtime_seconds
    if not spec.get("dataset_id"):
        raise typer.BadParameter("no dataset: put dataset_id in the spec file or pass --dataset")
    return spec
