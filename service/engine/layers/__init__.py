"""Layer types, keyed by their JSON ``type`` name."""

from __future__ import annotations

from .activation import ActivationLayer
from .base import Layer, Shape
from .batchnorm import BatchNorm
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten
from .gru import GRU
from .lstm import LSTM
from .pooling import AvgPool2D, MaxPool2D
from .recurrent import SimpleRNN

LAYER_TYPES: dict[str, type[Layer]] = {
    cls.type_name: cls
    for cls in (
        Dense,
        Dropout,
        ActivationLayer,
        Flatten,
        Conv2D,
        MaxPool2D,
        AvgPool2D,
        BatchNorm,
        Embedding,
        SimpleRNN,
        LSTM,
        GRU,
    )
}

__all__ = [
    "GRU",
    "LAYER_TYPES",
    "LSTM",
    "ActivationLayer",
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "Shape",
    "SimpleRNN",
]
