"""Optimizers, keyed by their JSON ``type`` name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from .adam import Adam
from .adaptive import Adagrad, AdamW, RMSprop
from .base import Optimizer
from .sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.type_name: cls for cls in (SGD, Adam, RMSprop, Adagrad, AdamW)
}


def build_optimizer(spec: Mapping[str, Any]) -> Optimizer:
    """Build an optimizer from ``{"type": "sgd"|"adam"|"rmsprop"|"adagrad"|"adamw", ...}``
    (raises ``SpecError``)."""
    if not isinstance(spec, Mapping):
        raise SpecError("optimizer must be an object")
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in OPTIMIZERS:
        raise SpecError(f"unknown optimizer type {kind!r}; expected one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[kind].from_spec(spec)


__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "build_optimizer",
]
