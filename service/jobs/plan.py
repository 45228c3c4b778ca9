"""One reading of a job spec: the JobPlan, built once from the stored spec and the dataset's
summary.

POST /v1/jobs builds it to validate a job before it is queued (with the server's limits);
the runner builds it again from the stored spec to train, and the model row takes its
resolved training spec from it. Nothing else interprets a spec: the resolved loss, the
input-scaling decision, every layer's shapes and parameter count and the engine's fit
options all live here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from service.data.columns import (
    CATEGORICAL,
    Column,
    columns_from_json,
    describe_inputs,
    encoded_width,
)
from service.engine import (
    FitOptions,
    Network,
    NetworkPlan,
    SpecError,
    build_network,
    plan_network,
    resolve_loss,
)
from service.jobs.plan_checks import (
    JobLimits,
    SpecMismatch,
    check_layer_count,
    check_output,
    check_size,
    check_token_input,
    check_widths,
)


@dataclass(frozen=True)
class DatasetSummary:
    """What a plan needs to know of a dataset (never its arrays)."""

    task: str
    input_shape: tuple[int, ...]
    classes: list[Any] | None
    rows: int
    value_range: dict[str, Any] | None = None
    columns: tuple[Column, ...] | None = None
    """A table's columns (kinds, levels); input_shape is then the encoded width."""
    impute: str | None = None

    @classmethod
    def of(cls, dataset: Any) -> DatasetSummary:
        """From a stored Dataset row: a table's input is its encoded width (numeric
        columns 1 each, categorical ones a one-hot input per level)."""
        columns = columns_from_json(getattr(dataset, "columns", None))
        shape = tuple(int(d) for d in dataset.input_shape)
        if columns is not None:
            shape = (encoded_width(columns),)
        return cls(
            task=dataset.task,
            input_shape=shape,
            classes=dataset.classes,
            rows=int(dataset.rows),
            value_range=dataset.value_range,
            columns=None if columns is None else tuple(columns),
            impute=getattr(dataset, "impute", None),
        )

    def describe_inputs(self) -> str | None:
        """ "13 features: 8 numeric + 5 one-hot levels of island and sex" for a table with
        categorical columns; None otherwise."""
        if not self.columns or all(c.kind != CATEGORICAL for c in self.columns):
            return None
        return describe_inputs(list(self.columns))


@dataclass(frozen=True)
class DataPlan:
    """How the stored arrays become the engine's inputs (see service.jobs.prepare)."""

    task: str
    validation_split: float
    seed: int
    scale_inputs: bool
    token_vocab: int | None
    """input_dim of a first embedding layer: X must hold integer ids in [0, token_vocab)."""
    columns: tuple[Column, ...] | None = None
    """A table's columns: X holds values and level codes, encoded before scaling."""
    impute: str | None = None
    """"mean" or "median": numeric gaps are filled from the training rows."""
    class_weight: str | tuple[float, ...] | None = None
    """"balanced" (weights from the training rows' class counts) or one weight per class
    index; None: unweighted."""


@dataclass(frozen=True)
class JobPlan:
    """A job's spec read once against its dataset: valid by construction."""

    network: dict[str, Any]
    training: dict[str, Any]
    dataset: DatasetSummary
    loss: str | dict[str, Any]
    data: DataPlan
    network_plan: NetworkPlan
    """Every layer's shapes, parameter count and activation on this dataset (engine)."""
    fit_options: FitOptions
    """The engine's training options (everything but data and callbacks)."""

    @property
    def task(self) -> str:
        return self.dataset.task

    @property
    def epochs(self) -> int:
        return self.fit_options.epochs

    def training_spec(self) -> dict[str, Any]:
        """The stored training spec with the loss that was used filled in."""
        return {**self.training, "loss": self.loss}

    def build_network(self) -> Network:
        """The network, initialised from the training seed (allocates its weights)."""
        return build_network(self.network["layers"], self.dataset.input_shape, seed=self.data.seed)


def plan_job(
    spec: Mapping[str, Any], dataset: DatasetSummary, limits: JobLimits | None = None
) -> JobPlan:
    """Read a stored job spec ({"network": ..., "training": ...}) against `dataset`.

    Raises SpecMismatch (the field, layer index and shapes) when the network cannot train on
    this dataset, or, given `limits`, when it is larger than the server allows. Specs stored
    before an option existed lack its key; the default applies.
    """
    network, training = dict(spec["network"]), dict(spec["training"])
    layers = network["layers"]
    if limits is not None:
        check_layer_count(limits, layers)
    try:
        planned = plan_layers(layers, dataset.input_shape)
    except SpecMismatch as exc:
        inputs = dataset.describe_inputs()
        if inputs is None:
            raise
        raise SpecMismatch(f"{exc.message} (the input has {inputs})", exc.loc) from exc
    if limits is not None:
        check_widths(limits, planned)
        check_size(limits, planned.n_params, training, dataset.rows)
    loss = resolve_loss(training.get("loss"), dataset.task)
    check_token_input(planned.token_vocab, training, dataset.value_range)
    check_output(layers, planned, loss, dataset.task, dataset.classes)
    class_weight = read_class_weight(training.get("class_weight"), dataset, loss)
    return JobPlan(
        network=network,
        training=training,
        dataset=dataset,
        loss=loss,
        data=replace(
            data_plan(planned, training, dataset.task, dataset), class_weight=class_weight
        ),
        network_plan=planned,
        fit_options=_fit_options(training, dataset.task),
    )


def plan_layers(layers: list[dict[str, Any]], input_shape: tuple[int, ...]) -> NetworkPlan:
    """Per-layer shapes, parameter counts and activations, allocating nothing;
    SpecMismatch at the layer that does not fit."""
    try:
        return plan_network(layers, input_shape)
    except SpecError as exc:
        index = exc.layer_index if exc.layer_index is not None else len(layers) - 1
        raise SpecMismatch(str(exc), ("network", "layers", index)) from exc


def data_plan(
    network: NetworkPlan,
    training: Mapping[str, Any],
    task: str,
    dataset: DatasetSummary | None = None,
) -> DataPlan:
    """Input scaling: "standardize" / "none", or "auto" (the default): standardise unless
    the network starts with token ids (an embedding). A table's columns are
    encoded first."""
    mode = training.get("input_scaling", "auto")
    scale = network.token_vocab is None if mode == "auto" else mode == "standardize"
    return DataPlan(
        task=task,
        validation_split=float(training.get("validation_split", 0.0)),
        seed=int(training.get("seed", 0)),
        scale_inputs=scale,
        token_vocab=network.token_vocab,
        columns=dataset.columns if dataset is not None else None,
        impute=dataset.impute if dataset is not None else None,
    )


def read_class_weight(
    value: Any, dataset: DatasetSummary, loss: str | dict[str, Any]
) -> str | tuple[float, ...] | None:
    """training.class_weight: "balanced", or {label: weight} -> one weight per class index
    (labels matched as text; classes not named weigh 1). SpecMismatch at
    ("training", "class_weight") for a regression task, a loss that is not cross entropy,
    or a label the data set does not have."""
    if value is None:
        return None
    loc = ("training", "class_weight")
    if dataset.task != "classification":
        raise SpecMismatch("class_weight is for classification; this data set is regression", loc)
    if loss not in ("cross_entropy", "binary_cross_entropy"):
        raise SpecMismatch(f"class_weight needs a cross_entropy loss, not {loss!r}", loc)
    if value == "balanced":
        return "balanced"
    classes = [str(c) for c in dataset.classes or []]
    unknown = [label for label in value if label not in classes]
    if unknown:
        raise SpecMismatch(
            f"class_weight names {', '.join(repr(u) for u in unknown[:10])}, which the data "
            f"set's classes ({', '.join(repr(c) for c in classes[:20])}) do not include",
            loc,
        )
    return tuple(float(value.get(label, 1.0)) for label in classes)


def _fit_options(training: Mapping[str, Any], task: str) -> FitOptions:
    """The engine's options for the spec; SpecMismatch at the training field the engine
    rejects (one the schema let through)."""
    try:
        return FitOptions.from_training_spec(training, task)
    except SpecError as exc:
        field = str(exc).split(" ", 1)[0].rstrip(":")
        loc = ("training", field) if field in training else ("training",)
        raise SpecMismatch(str(exc), loc) from exc
