"""Layer types, keyed by their JSON ``type`` name."""

from __future__ import annotations

from .activation import ActivationLayer
from .base import Layer, Shape
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten

LAYER_TYPES: dict[str, type[Layer]] = {
    cls.type_name: cls for cls in (Dense, Dropout, ActivationLayer, Flatten)
}

__all__ = ["LAYER_TYPES", "ActivationLayer", "Dense", "Dropout", "Flatten", "Layer", "Shape"]
