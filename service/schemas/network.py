"""The network spec: an ordered list of layers, each picked by its `type`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.schemas.common import StrictModel

Activation = Literal["relu", "leaky_relu", "tanh", "sigmoid", "softmax", "linear"]


class DenseLayer(StrictModel):
    """Fully connected layer: y = activation(x W + b)."""

    type: Literal["dense"]
    units: int = Field(ge=1, le=65536, description="Output width.")
    activation: Activation = "linear"
    initializer: Literal["he", "glorot"] | None = Field(
        default=None, description="Default: he for relu/leaky_relu, glorot otherwise."
    )
    use_bias: bool = True


class DropoutLayer(StrictModel):
    """Inverted dropout: zeroes a fraction `rate` of inputs in training; identity at inference."""

    type: Literal["dropout"]
    rate: float = Field(ge=0.0, lt=1.0)


class ActivationLayer(StrictModel):
    """A standalone activation."""

    type: Literal["activation"]
    activation: Activation


Layer = Annotated[DenseLayer | DropoutLayer | ActivationLayer, Field(discriminator="type")]


class NetworkSpec(StrictModel):
    """Layers in order; the input width comes from the dataset."""

    layers: list[Layer] = Field(min_length=1, max_length=100)
