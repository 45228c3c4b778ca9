"""The training spec: loss, optimizer, regularisation, clipping, learning-rate schedule,
epochs, batching, validation and early stopping."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag

from service.schemas.common import StrictModel, tagged_union, type_tag, with_examples

LearningRate = Annotated[float, Field(gt=0, le=10)]
ClassWeight = Annotated[float, Field(gt=0, le=1e6)]


class SGDSpec(StrictModel):
    """p -= lr * v with v = momentum * v + g (Nesterov optional)."""

    model_config = with_examples({"type": "sgd", "learning_rate": 0.01, "momentum": 0.9})
    type: Literal["sgd"]
    learning_rate: LearningRate = 0.01
    momentum: float = Field(default=0.0, ge=0, lt=1)
    nesterov: bool = False


class AdamSpec(StrictModel):
    """Adam: adaptive moments with bias correction."""

    model_config = with_examples({"type": "adam", "learning_rate": 0.001})
    type: Literal["adam"]
    learning_rate: LearningRate = 0.001
    beta1: float = Field(default=0.9, ge=0, lt=1)
    beta2: float = Field(default=0.999, ge=0, lt=1)
    epsilon: float = Field(default=1e-8, gt=0, le=1)


class AdamWSpec(AdamSpec):
    """Adam with decoupled weight decay (p *= 1 - lr * weight_decay on weights, not biases
    or batchnorm parameters)."""

    model_config = with_examples({"type": "adamw", "learning_rate": 0.001, "weight_decay": 0.01})
    type: Literal["adamw"]  # type: ignore[assignment]
    weight_decay: float = Field(default=0.01, ge=0, le=1)


class RMSpropSpec(StrictModel):
    """v = rho v + (1 - rho) g^2; p -= lr g / (sqrt(v) + epsilon)."""

    model_config = with_examples({"type": "rmsprop", "learning_rate": 0.001, "rho": 0.9})
    type: Literal["rmsprop"]
    learning_rate: LearningRate = 0.001
    rho: float = Field(default=0.9, ge=0, lt=1)
    epsilon: float = Field(default=1e-7, gt=0, le=1)


class AdagradSpec(StrictModel):
    """s += g^2; p -= lr g / (sqrt(s) + epsilon)."""

    model_config = with_examples({"type": "adagrad", "learning_rate": 0.01})
    type: Literal["adagrad"]
    learning_rate: LearningRate = 0.01
    epsilon: float = Field(default=1e-10, gt=0, le=1)


OPTIMIZER_MODELS = (SGDSpec, AdamSpec, AdamWSpec, RMSpropSpec, AdagradSpec)
"""Every optimizer's model: the union and the tags are built from this one list."""
Optimizer = tagged_union(OPTIMIZER_MODELS)


class HuberLossSpec(StrictModel):
    """Huber loss: quadratic within `delta` of the target, linear beyond."""

    model_config = with_examples({"type": "huber", "delta": 1.0})
    type: Literal["huber"]
    delta: float = Field(default=1.0, gt=0, le=1e6)


LOSS_NAMES = ("mse", "mae", "huber", "cross_entropy", "binary_cross_entropy")
LossName = Literal[LOSS_NAMES]  # type: ignore[valid-type]
LOSS_SPEC_MODELS = (HuberLossSpec,)
"""Losses that take options, as {"type": name, ...}."""
LOSS_NAME_TAG, LOSS_SPEC_TAG = "loss_name", "loss_spec"


def _loss_kind(value: Any) -> str:
    return LOSS_SPEC_TAG if isinstance(value, dict | BaseModel) else LOSS_NAME_TAG


Loss = Annotated[
    Annotated[LossName, Tag(LOSS_NAME_TAG)]
    | Annotated[tagged_union(LOSS_SPEC_MODELS), Tag(LOSS_SPEC_TAG)],
    Discriminator(_loss_kind),
]


class RegularizationSpec(StrictModel):
    """Penalty l1 * sum|w| + l2 * sum(w^2) over weights (not biases or batchnorm)."""

    model_config = with_examples({"l1": 0.0, "l2": 0.0001})
    l1: float = Field(default=0.0, ge=0, le=10)
    l2: float = Field(default=0.0, ge=0, le=10)


WarmupEpochs = Annotated[
    int, Field(ge=0, le=100000, description="Linear warmup: lr * e / (warmup_epochs + 1).")
]


class StepScheduleSpec(StrictModel):
    """lr * gamma ** (k // step_size), k = epochs since warmup."""

    model_config = with_examples({"type": "step", "step_size": 10, "gamma": 0.5})
    type: Literal["step"]
    step_size: int = Field(default=10, ge=1, le=100000)
    gamma: float = Field(default=0.1, gt=0, le=1)
    warmup_epochs: WarmupEpochs = 0


class ExponentialScheduleSpec(StrictModel):
    """lr * gamma ** k, k = epochs since warmup."""

    model_config = with_examples({"type": "exponential", "gamma": 0.95})
    type: Literal["exponential"]
    gamma: float = Field(default=0.95, gt=0, le=1)
    warmup_epochs: WarmupEpochs = 0


class CosineScheduleSpec(StrictModel):
    """Cosine decay from lr to min_lr over the epochs after warmup."""

    model_config = with_examples({"type": "cosine", "warmup_epochs": 2, "min_lr": 0.0})
    type: Literal["cosine"]
    min_lr: float = Field(default=0.0, ge=0, le=10)
    warmup_epochs: WarmupEpochs = 0


class WarmupScheduleSpec(StrictModel):
    """Linear warmup over warmup_epochs, then the constant lr."""

    model_config = with_examples({"type": "warmup", "warmup_epochs": 3})
    type: Literal["warmup"]
    warmup_epochs: WarmupEpochs = 1


class PlateauScheduleSpec(StrictModel):
    """Multiply lr by factor when the validation loss (train loss without validation) has
    not improved by min_delta for patience epochs; never below min_lr."""

    model_config = with_examples({"type": "reduce_on_plateau", "factor": 0.5, "patience": 3})
    type: Literal["reduce_on_plateau"]
    factor: float = Field(default=0.1, gt=0, lt=1)
    patience: int = Field(default=5, ge=1, le=100000)
    min_delta: float = Field(default=0.0, ge=0)
    min_lr: float = Field(default=0.0, ge=0, le=10)
    warmup_epochs: WarmupEpochs = 0


SCHEDULE_MODELS = (
    StepScheduleSpec,
    ExponentialScheduleSpec,
    CosineScheduleSpec,
    WarmupScheduleSpec,
    PlateauScheduleSpec,
)
"""Every learning-rate schedule's model: the union and the tags are built from this list."""
LRSchedule = tagged_union(SCHEDULE_MODELS)


class EarlyStoppingSpec(StrictModel):
    """Stop when the validation loss (train loss without validation) stops improving."""

    model_config = with_examples({"patience": 5, "min_delta": 0.0, "restore_best": True})
    patience: int = Field(ge=1, le=10000)
    min_delta: float = Field(default=0.0, ge=0)
    restore_best: bool = True


TRAINING_EXAMPLE = {
    "loss": "cross_entropy",
    "optimizer": {"type": "adamw", "learning_rate": 0.001, "weight_decay": 0.01},
    "regularization": {"l1": 0.0, "l2": 0.0},
    "gradient_clip_norm": 1.0,
    "lr_schedule": {"type": "cosine", "warmup_epochs": 2, "min_lr": 0.0},
    "epochs": 30,
    "batch_size": 32,
    "validation_split": 0.2,
    "seed": 0,
    "early_stopping": {"patience": 5},
}

OPTION_TAGS = frozenset(
    {type_tag(m) for m in OPTIMIZER_MODELS + SCHEDULE_MODELS} | {LOSS_NAME_TAG, LOSS_SPEC_TAG}
)
"""Discriminator values of the optimizer / loss / schedule unions (pydantic error paths)."""


class TrainingSpec(StrictModel):
    """How to train. The loss defaults to cross_entropy (classification) or mse (regression)."""

    model_config = with_examples(TRAINING_EXAMPLE)
    loss: Loss | None = Field(
        default=None, description='A name, or {"type": "huber", "delta": 1.0}.'
    )
    optimizer: Optimizer = Field(default_factory=lambda: AdamSpec(type="adam"))
    regularization: RegularizationSpec | None = None
    gradient_clip_norm: float | None = Field(
        default=None, gt=0, le=1e6, description="Clip the whole gradient to this L2 norm."
    )
    lr_schedule: LRSchedule | None = None
    epochs: int = Field(default=20, ge=1, le=100000)
    batch_size: int = Field(default=32, ge=1, le=65536)
    validation_split: float = Field(default=0.2, ge=0.0, le=0.9)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    shuffle: bool = True
    early_stopping: EarlyStoppingSpec | None = None
    class_weight: Literal["balanced"] | dict[str, ClassWeight] | None = Field(
        default=None,
        max_length=1000,
        description='Classification: weigh each class\'s rows in the loss. "balanced": '
        "n_rows / (n_classes * rows of the class), counted on the training rows; or "
        '{label: weight} (labels as text, e.g. {"yes": 5}; classes not named weigh 1).',
        examples=["balanced", {"yes": 5.0}],
    )
    input_scaling: Literal["auto", "standardize", "none"] = Field(
        default="auto",
        description="auto: standardise inputs per feature/channel unless the network starts "
        "with an embedding (token ids are used as they are); none: never.",
    )
