"""The training spec: loss, optimizer, epochs, batching, validation and early stopping."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.schemas.common import StrictModel


class SGDSpec(StrictModel):
    type: Literal["sgd"]
    learning_rate: float = Field(default=0.01, gt=0, le=10)
    momentum: float = Field(default=0.0, ge=0, lt=1)
    nesterov: bool = False


class AdamSpec(StrictModel):
    type: Literal["adam"]
    learning_rate: float = Field(default=0.001, gt=0, le=10)
    beta1: float = Field(default=0.9, ge=0, lt=1)
    beta2: float = Field(default=0.999, ge=0, lt=1)
    epsilon: float = Field(default=1e-8, gt=0, le=1)


Optimizer = Annotated[SGDSpec | AdamSpec, Field(discriminator="type")]


class EarlyStoppingSpec(StrictModel):
    """Stop when the validation loss (train loss without validation) stops improving."""

    patience: int = Field(ge=1, le=10000)
    min_delta: float = Field(default=0.0, ge=0)
    restore_best: bool = True


class TrainingSpec(StrictModel):
    """How to train. The loss defaults to cross_entropy (classification) or mse (regression)."""

    loss: Literal["mse", "mae", "cross_entropy", "binary_cross_entropy"] | None = None
    optimizer: Optimizer = Field(default_factory=lambda: AdamSpec(type="adam"))
    epochs: int = Field(default=20, ge=1, le=100000)
    batch_size: int = Field(default=32, ge=1, le=65536)
    validation_split: float = Field(default=0.2, ge=0.0, le=0.9)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    shuffle: bool = True
    early_stopping: EarlyStoppingSpec | None = None
