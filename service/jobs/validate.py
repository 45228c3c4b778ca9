"""Check a job spec against its dataset before the job is queued."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.engine import Network, SpecError, build_network, loss_name


@dataclass
class SpecMismatch(Exception):
    """The spec does not fit the dataset; `loc` is the JSON path of the offending field."""

    message: str
    loc: tuple[str | int, ...]

    def __str__(self) -> str:
        return self.message


DEFAULT_LOSS = {"classification": "cross_entropy", "regression": "mse"}
REGRESSION_LOSSES = {"mse", "mae", "huber"}
PASS_THROUGH = {"dropout", "flatten"}


def resolve_loss(training: dict[str, Any], task: str) -> str | dict[str, Any]:
    """The loss in the spec (a name or {"type": "huber", "delta": ...}), or the task's
    default name."""
    return training.get("loss") or DEFAULT_LOSS[task]


def check_job_spec(
    network: dict[str, Any],
    training: dict[str, Any],
    *,
    input_shape: list[int],
    task: str,
    classes: list[Any] | None,
    value_range: dict[str, Any] | None = None,
) -> None:
    """Raise SpecMismatch when the network cannot train on this dataset.

    Checks every layer builds on the dataset's input shape (the message names the layer,
    the shape it receives and what it needs), that the output is one vector per sample,
    its width against the number of classes or targets, that the loss suits the task and
    that token ids (embedding first) are not standardised.
    """
    layers = network["layers"]
    try:
        net = build_network(layers, tuple(input_shape), seed=0)
    except SpecError as exc:
        index = exc.layer_index if exc.layer_index is not None else len(layers) - 1
        raise SpecMismatch(str(exc), ("network", "layers", index)) from exc
    last = len(layers) - 1
    last_dense = max((i for i, spec in enumerate(layers) if spec["type"] == "dense"), default=None)
    final_activation = _final_activation(net)
    where = ("network", "layers", last)
    _check_input_scaling(layers, training)
    _check_token_range(layers, value_range)
    if len(net.output_shape) != 1:
        raise SpecMismatch(
            f"layer {last}: the output has shape {tuple(net.output_shape)} per sample but must "
            "be a vector; add a flatten layer (or set return_sequences to false) before the "
            "output layer",
            where,
        )
    out_units = int(net.output_shape[-1])
    loss = loss_name(resolve_loss(training, task))

    if task == "classification":
        n_classes = len(classes or [])
        if loss in REGRESSION_LOSSES:
            raise SpecMismatch(
                f"loss '{loss}' is for regression, but the dataset's target is a class label; "
                "use cross_entropy (or binary_cross_entropy for two classes)",
                ("training", "loss"),
            )
        if loss == "cross_entropy":
            if out_units != n_classes:
                raise SpecMismatch(
                    f"layer {last_dense if last_dense is not None else last}: the output has "
                    f"{out_units} units but the dataset has {n_classes} classes; "
                    f"set units to {n_classes}",
                    ("network", "layers", last_dense if last_dense is not None else last),
                )
            if final_activation != "softmax":
                raise SpecMismatch(
                    f"layer {last}: cross_entropy needs a softmax output, got '{final_activation}'",
                    where,
                )
        if loss == "binary_cross_entropy":
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
    else:
        if loss not in REGRESSION_LOSSES:
            raise SpecMismatch(
                f"loss '{loss}' is for classification, but the dataset's target is a number; "
                "use mse, mae or huber",
                ("training", "loss"),
            )
        if out_units != 1:
            raise SpecMismatch(
                f"layer {last}: a regression dataset has 1 target, so the output needs 1 unit, "
                f"got {out_units}",
                where,
            )


def _final_activation(net: Network) -> str:
    """The activation applied last (dropout and flatten pass through)."""
    for layer in reversed(net.layers):
        if layer.activation_name is not None:
            return layer.activation_name
        if layer.type_name not in PASS_THROUGH:
            return "linear"
    return "linear"


def _check_input_scaling(layers: list[dict[str, Any]], training: dict[str, Any]) -> None:
    if layers[0]["type"] == "embedding" and training.get("input_scaling") == "standardize":
        raise SpecMismatch(
            "input_scaling 'standardize' would change the token ids an embedding layer "
            "takes; use 'auto' or 'none'",
            ("training", "input_scaling"),
        )


def _check_token_range(layers: list[dict[str, Any]], value_range: dict[str, Any] | None) -> None:
    """An embedding first needs integer ids in [0, input_dim) (when the dataset's value range
    is known; datasets stored before it was recorded are checked when the job runs)."""
    if layers[0]["type"] != "embedding" or not value_range:
        return
    vocab = int(layers[0]["input_dim"])
    low, high = value_range["min"], value_range["max"]
    if not value_range["integral"] or low < 0 or high >= vocab:
        kind = "integer" if value_range["integral"] else "non-integer"
        raise SpecMismatch(
            f"layer 0 (embedding): needs integer token ids in [0, {vocab - 1}], but the "
            f"dataset holds {kind} values from {low:g} to {high:g}",
            ("network", "layers", 0),
        )
