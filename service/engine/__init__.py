"""Pure-NumPy neural-network training engine.

Plan a JSON layer spec on an input shape without allocating with :func:`plan_network`,
build it with :func:`build_network` and train it with :func:`fit` (data in
:class:`FitData`, options in :class:`FitOptions`, callbacks in :class:`FitHooks`).
Registries (``LAYER_TYPES``, ``ACTIVATIONS``, ``LOSSES``, ``OPTIMIZERS``,
``SCHEDULE_KEYS``) map JSON names to implementations.
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
from .plan import LayerPlan, NetworkPlan, plan_network
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
    "LayerPlan",
    "Loss",
    "Network",
    "NetworkPlan",
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
    "plan_network",
    "resolve_loss",
]
