"""The network spec: an ordered list of layers, each picked by its `type`.

Per-sample input shapes come from the dataset: (features,) for tables, (height, width,
channels) for images, (timesteps, features) for sequences, (timesteps,) of integer token
ids for a network that starts with an embedding."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from service.schemas.common import StrictModel, tagged_union, type_tag, with_examples

ACTIVATION_NAMES = (
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "softplus",
    "tanh",
    "sigmoid",
    "softmax",
    "linear",
)
Activation = Literal[ACTIVATION_NAMES]  # type: ignore[valid-type]
ELEMENTWISE_ACTIVATION_NAMES = tuple(a for a in ACTIVATION_NAMES if a != "softmax")
RecurrentActivation = Literal[ELEMENTWISE_ACTIVATION_NAMES]  # type: ignore[valid-type]
"""A simple_rnn state activation: any elementwise activation (softmax is refused)."""
INITIALIZER_NAMES = ("he", "glorot")
Initializer = Literal[INITIALIZER_NAMES]  # type: ignore[valid-type]
PADDING_MODES = ("valid", "same")
IntPair = (
    Annotated[int, Field(ge=1, le=4096)]
    | Annotated[list[Annotated[int, Field(ge=1, le=4096)]], Field(min_length=2, max_length=2)]
)


class DenseLayer(StrictModel):
    """Fully connected layer over the last axis: y = activation(x W + b)."""

    model_config = with_examples({"type": "dense", "units": 64, "activation": "relu"})
    type: Literal["dense"]
    units: int = Field(ge=1, le=65536, description="Output width.")
    activation: Activation = "linear"
    initializer: Initializer | None = Field(
        default=None, description="Default: he for relu/leaky_relu, glorot otherwise."
    )
    use_bias: bool = True


class DropoutLayer(StrictModel):
    """Inverted dropout: zeroes a fraction `rate` of inputs in training; identity at inference."""

    model_config = with_examples({"type": "dropout", "rate": 0.1})
    type: Literal["dropout"]
    rate: float = Field(ge=0.0, lt=1.0)


class ActivationLayer(StrictModel):
    """A standalone activation."""

    model_config = with_examples({"type": "activation", "activation": "softmax"})
    type: Literal["activation"]
    activation: Activation


class FlattenLayer(StrictModel):
    """Reshapes each sample to a vector, e.g. (4, 4, 16) -> (256,)."""

    model_config = with_examples({"type": "flatten"})
    type: Literal["flatten"]


class Conv2DLayer(StrictModel):
    """2-D convolution over (height, width, channels) images -> (h', w', filters)."""

    model_config = with_examples(
        {"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"}
    )
    type: Literal["conv2d"]
    filters: int = Field(ge=1, le=4096)
    kernel_size: IntPair = Field(description="k or [kh, kw].")
    stride: IntPair = Field(default=1, description="s or [sh, sw].")
    padding: Literal[PADDING_MODES] = Field(  # type: ignore[valid-type]
        default="valid", description="valid: no padding; same: output ceil(size / stride)."
    )
    activation: Activation = "linear"
    initializer: Initializer | None = None
    use_bias: bool = True


class MaxPool2DLayer(StrictModel):
    """Maximum over pool_size windows of (height, width, channels) images."""

    model_config = with_examples({"type": "maxpool2d", "pool_size": 2})
    type: Literal["maxpool2d"]
    pool_size: IntPair = 2
    stride: IntPair | None = Field(default=None, description="Default: pool_size.")


class AvgPool2DLayer(StrictModel):
    """Mean over pool_size windows of (height, width, channels) images."""

    model_config = with_examples({"type": "avgpool2d", "pool_size": 2})
    type: Literal["avgpool2d"]
    pool_size: IntPair = 2
    stride: IntPair | None = Field(default=None, description="Default: pool_size.")


class BatchNormLayer(StrictModel):
    """Batch normalisation over the last axis. Running statistics (running = momentum *
    running + (1 - momentum) * batch) are used at inference and saved with the weights."""

    model_config = with_examples({"type": "batchnorm", "momentum": 0.9, "epsilon": 1e-5})
    type: Literal["batchnorm"]
    momentum: float = Field(default=0.9, ge=0.0, lt=1.0)
    epsilon: float = Field(default=1e-5, gt=0.0, le=1.0)


class EmbeddingLayer(StrictModel):
    """Integer token ids (timesteps,) -> vectors (timesteps, output_dim). Must come first;
    inputs are then not standardised."""

    model_config = with_examples({"type": "embedding", "input_dim": 1000, "output_dim": 32})
    type: Literal["embedding"]
    input_dim: int = Field(ge=1, le=10_000_000, description="Vocabulary size (ids 0..n-1).")
    output_dim: int = Field(ge=1, le=65536)


class SimpleRNNLayer(StrictModel):
    """Elman RNN over (timesteps, features): h_t = activation(x_t W + h_{t-1} U + b)."""

    model_config = with_examples({"type": "simple_rnn", "units": 32, "return_sequences": False})
    type: Literal["simple_rnn"]
    units: int = Field(ge=1, le=8192)
    return_sequences: bool = Field(
        default=False, description="true: (timesteps, units); false: the last state (units,)."
    )
    activation: RecurrentActivation = "tanh"


class LSTMLayer(StrictModel):
    """Long short-term memory over (timesteps, features); gates i, f, g, o."""

    model_config = with_examples({"type": "lstm", "units": 32, "return_sequences": False})
    type: Literal["lstm"]
    units: int = Field(ge=1, le=8192)
    return_sequences: bool = False


class GRULayer(StrictModel):
    """Gated recurrent unit over (timesteps, features), PyTorch's formulation."""

    model_config = with_examples({"type": "gru", "units": 32, "return_sequences": True})
    type: Literal["gru"]
    units: int = Field(ge=1, le=8192)
    return_sequences: bool = False


LAYER_MODELS = (
    DenseLayer,
    DropoutLayer,
    ActivationLayer,
    FlattenLayer,
    Conv2DLayer,
    MaxPool2DLayer,
    AvgPool2DLayer,
    BatchNormLayer,
    EmbeddingLayer,
    SimpleRNNLayer,
    LSTMLayer,
    GRULayer,
)
"""Every layer type's model: the union and the tags are built from this one list."""
LAYER_TAGS = frozenset(type_tag(m) for m in LAYER_MODELS)
"""Discriminator values of the layer union (they appear in pydantic error paths)."""

Layer = tagged_union(LAYER_MODELS)

CNN_EXAMPLE = {
    "layers": [
        {
            "type": "conv2d",
            "filters": 16,
            "kernel_size": 3,
            "padding": "same",
            "activation": "relu",
        },
        {"type": "batchnorm"},
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.2},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ]
}
RNN_EXAMPLE = {
    "layers": [
        {"type": "lstm", "units": 32, "return_sequences": True},
        {"type": "gru", "units": 32},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
}


class NetworkSpec(StrictModel):
    """Layers in order; the input shape comes from the dataset."""

    model_config = with_examples(CNN_EXAMPLE, RNN_EXAMPLE)
    layers: list[Layer] = Field(min_length=1, max_length=100)
