"""Pure-NumPy neural-network training engine.

Build a network from a JSON layer spec with :func:`build_network` and train it with
:func:`fit`. Registries (``LAYER_TYPES``, ``ACTIVATIONS``, ``LOSSES``, ``OPTIMIZERS``) map JSON
names to implementations.
"""

from __future__ import annotations

from .activations import ACTIVATIONS, Activation
from .checkpoint import TrainingState
from .errors import SpecError, TrainingDiverged
from .layers import LAYER_TYPES, Layer
from .losses import LOSSES, Loss, get_loss, loss_name
from .network import Network, build_network
from .optimizers import OPTIMIZERS, Optimizer, build_optimizer
from .schedules import SCHEDULE_KEYS, Schedule
from .training import EpochRecord, FitResult, fit

__all__ = [
    "ACTIVATIONS",
    "LAYER_TYPES",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULE_KEYS",
    "Activation",
    "EpochRecord",
    "FitResult",
    "Layer",
    "Loss",
    "Network",
    "Optimizer",
    "Schedule",
    "SpecError",
    "TrainingDiverged",
    "TrainingState",
    "build_network",
    "build_optimizer",
    "fit",
    "get_loss",
    "loss_name",
]
