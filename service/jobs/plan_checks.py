"""The checks a job plan makes: server limits, and whether the network fits the dataset.

Each raises :class:`SpecMismatch` with the JSON path of the offending field, which the API
answers as a 422 (the message names the layer, the shapes and the fix).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.engine import NetworkPlan, loss_name


@dataclass
class SpecMismatch(Exception):
    """The spec does not fit the dataset or the server's limits; `loc` is the JSON path of
    the offending field."""

    message: str
    loc: tuple[str | int, ...]

    def __str__(self) -> str:
        return self.message


REGRESSION_LOSSES = {"mse", "mae", "huber"}


@dataclass(frozen=True)
class JobLimits:
    """What this server accepts (from Settings); None in a plan means unchecked."""

    max_layers: int
    max_units: int
    max_params: int
    max_batch_size: int
    max_epoch_rows: int

    @classmethod
    def of(cls, settings: Any) -> JobLimits:
        return cls(
            settings.max_layers,
            settings.max_units,
            settings.max_params,
            settings.max_batch_size,
            settings.max_epoch_rows,
        )


def check_layer_count(limits: JobLimits, layers: list[Mapping[str, Any]]) -> None:
    if len(layers) > limits.max_layers:
        raise SpecMismatch(
            f"network.layers: {len(layers)} layers; the limit is {limits.max_layers}",
            ("network", "layers"),
        )


def check_widths(limits: JobLimits, planned: NetworkPlan) -> None:
    """No layer width (units, filters, output_dim: each layer names its own) above
    max_units."""
    for layer in planned.layers:
        for key, width in layer.widths.items():
            if width > limits.max_units:
                raise SpecMismatch(
                    f"network.layers[{layer.index}].{key}: {width} is above the limit of "
                    f"{limits.max_units}",
                    ("network", "layers", layer.index, key),
                )


def check_size(limits: JobLimits, num_params: int, training: Mapping[str, Any], rows: int) -> None:
    """Parameters, batch size and epochs x rows against the limits."""
    if num_params > limits.max_params:
        raise SpecMismatch(
            f"network: {num_params} parameters; the limit is {limits.max_params}", ("network",)
        )
    batch = int(training.get("batch_size", 0))
    if batch > limits.max_batch_size:
        raise SpecMismatch(
            f"training.batch_size: {batch} is above the limit of {limits.max_batch_size}",
            ("training", "batch_size"),
        )
    work = int(training.get("epochs", 0)) * rows
    if work > limits.max_epoch_rows:
        raise SpecMismatch(
            f"training.epochs: {training['epochs']} epochs x {rows} rows = {work} is above "
            f"the limit of {limits.max_epoch_rows}",
            ("training", "epochs"),
        )


def check_output(
    layers: list[Mapping[str, Any]],
    planned: NetworkPlan,
    loss: str | Mapping[str, Any],
    task: str,
    classes: list[Any] | None,
) -> None:
    """The output is one vector per sample whose width and activation suit the loss and the
    dataset's classes or target, and the loss suits the task."""
    output_shape, final_activation = planned.output_shape, planned.final_activation
    last = len(layers) - 1
    last_dense = max((p.index for p in planned.layers if "units" in p.widths), default=last)
    where = ("network", "layers", last)
    if len(output_shape) != 1:
        raise SpecMismatch(
            f"layer {last}: the output has shape {tuple(output_shape)} per sample but must "
            "be a vector; add a flatten layer (or set return_sequences to false) before the "
            "output layer",
            where,
        )
    out_units = int(output_shape[-1])
    name = loss_name(loss)
    if task != "classification":
        if name not in REGRESSION_LOSSES:
            raise SpecMismatch(
                f"loss '{name}' is for classification, but the dataset's target is a number; "
                "use mse, mae or huber",
                ("training", "loss"),
            )
        if out_units != 1:
            raise SpecMismatch(
                f"layer {last}: a regression dataset has 1 target, so the output needs 1 unit, "
                f"got {out_units}",
                where,
            )
        return
    n_classes = len(classes or [])
    if name in REGRESSION_LOSSES:
        raise SpecMismatch(
            f"loss '{name}' is for regression, but the dataset's target is a class label; "
            "use cross_entropy (or binary_cross_entropy for two classes)",
            ("training", "loss"),
        )
    if name == "cross_entropy":
        if out_units != n_classes:
            raise SpecMismatch(
                f"layer {last_dense}: the output has {out_units} units but the dataset has "
                f"{n_classes} classes; set units to {n_classes}",
                ("network", "layers", last_dense),
            )
        if final_activation != "softmax":
            raise SpecMismatch(
                f"layer {last}: cross_entropy needs a softmax output, got '{final_activation}'",
                where,
            )
    if name == "binary_cross_entropy":
        if n_classes != 2:
            raise SpecMismatch(
                f"binary_cross_entropy needs exactly 2 classes, the dataset has {n_classes}; "
                "use cross_entropy",
                ("training", "loss"),
            )
        if out_units != 1 or final_activation != "sigmoid":
            raise SpecMismatch(
                f"layer {last}: binary_cross_entropy needs 1 output unit with a sigmoid "
                f"activation, got {out_units} units with '{final_activation}'",
                where,
            )


def check_token_input(
    vocab: int | None, training: Mapping[str, Any], value_range: dict[str, Any] | None
) -> None:
    """An embedding first takes integer ids in [0, input_dim): never standardised, and (when
    the dataset's value range is known; older datasets are checked when the job runs) in
    range."""
    if vocab is None:
        return
    if training.get("input_scaling") == "standardize":
        raise SpecMismatch(
            "input_scaling 'standardize' would change the token ids an embedding layer "
            "takes; use 'auto' or 'none'",
            ("training", "input_scaling"),
        )
    if not value_range:
        return
    low, high = value_range["min"], value_range["max"]
    if not value_range["integral"] or low < 0 or high >= vocab:
        kind = "integer" if value_range["integral"] else "non-integer"
        raise SpecMismatch(
            f"layer 0 (embedding): needs integer token ids in [0, {vocab - 1}], but the "
            f"dataset holds {kind} values from {low:g} to {high:g}",
            ("network", "layers", 0),
        )
