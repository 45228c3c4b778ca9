"""Pure-NumPy neural-network training engine.

Build a network from a JSON layer spec with :func:`build_network` and train it with
:func:`fit` (data in :class:`FitData`, options in :class:`FitOptions`, callbacks in
:class:`FitHooks`). Registries (``LAYER_TYPES``, ``ACTIVATIONS``, ``LOSSES``,
``OPTIMIZERS``) map JSON names to implementations.
"""

from __future__ import annotations

from .activations import ACTIVATIONS, Activation
from .checkpoint import TrainingState
from .errors import SpecError, TrainingDiverged
from .fit_options import DEFAULT_LOSS, TASKS, FitOptions, resolve_loss
from .layers import LAYER_TYPES, Layer
from .losses import LOSSES, Loss, get_loss, loss_name
from .network import Network, build_network
from .optimizers import OPTIMIZERS, Optimizer, build_optimizer
from .records import EpochRecord, FitResult
from .schedules import SCHEDULE_KEYS, Schedule
from .training import FitData, FitHooks, fit

__all__ = [
    "ACTIVATIONS",
    "DEFAULT_LOSS",
    "LAYER_TYPES",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULE_KEYS",
    "TASKS",
    "Activation",
    "EpochRecord",
    "FitData",
    "FitHooks",
    "FitOptions",
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
    "resolve_loss",
]
