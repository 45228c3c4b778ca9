"""Pure-NumPy neural-network training engine.

Build a network from a JSON layer spec with :func:`build_network` and train it with
:func:`fit`. Registries (``LAYER_TYPES``, ``ACTIVATIONS``, ``LOSSES``, ``OPTIMIZERS``) map JSON
names to implementations.
"""

from __future__ import annotations

from .activations import ACTIVATIONS, Activation
from .errors import SpecError, TrainingDiverged
from .layers import LAYER_TYPES, Layer
from .losses import LOSSES, Loss, get_loss
from .network import Network, build_network
from .optimizers import OPTIMIZERS, Optimizer, build_optimizer
from .training import EpochRecord, FitResult, fit

__all__ = [
    "ACTIVATIONS",
    "LAYER_TYPES",
    "LOSSES",
    "OPTIMIZERS",
    "Activation",
    "EpochRecord",
    "FitResult",
    "Layer",
    "Loss",
    "Network",
    "Optimizer",
    "SpecError",
    "TrainingDiverged",
    "build_network",
    "build_optimizer",
    "fit",
    "get_loss",
]
