"""Loss functions, keyed by their JSON name: regression (mse, mae, huber) in
:mod:`.regression`, classification (binary_cross_entropy, cross_entropy) in
:mod:`.classification`, the base class in :mod:`.base`.

A loss is named by a string ("huber") or a spec object ({"type": "huber", "delta": 1.0}).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from ..spec import SpecReader
from .base import Loss
from .classification import BinaryCrossEntropy, CrossEntropy
from .regression import Huber, MeanAbsoluteError, MeanSquaredError

LOSSES: dict[str, type[Loss]] = {
    cls.name: cls
    for cls in (MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossEntropy, CrossEntropy)
}


def loss_name(spec: str | Mapping[str, Any]) -> str:
    """ "mse" -> "mse"; {"type": "huber", ...} -> "huber" (no validation)."""
    return spec.get("type", "") if isinstance(spec, Mapping) else spec


def get_loss(spec: str | Mapping[str, Any], class_weights: tuple[float, ...] | None = None) -> Loss:
    """Instantiate a loss from its name or ``{"type": name, ...options}`` (the options are
    the loss's ``spec_keys``: only huber takes one, ``delta`` > 0), with per-class weights
    for the classification losses. Raises ``SpecError`` for unknown names or options."""
    options: Mapping[str, Any] = {}
    name = spec
    if isinstance(spec, Mapping):
        name, options = spec.get("type"), {k: v for k, v in spec.items() if k != "type"}
    if not isinstance(name, str) or name not in LOSSES:
        raise SpecError(f"unknown loss {name!r}; expected one of {', '.join(LOSSES)}")
    r = SpecReader({"type": name, **options}, None, None, prefix=f"loss ({name}): ")
    cls = LOSSES[name]
    r.check_keys(cls.spec_keys)
    if class_weights is not None:
        if name not in ("cross_entropy", "binary_cross_entropy"):
            raise SpecError(f"class_weight needs a classification loss, not {name}")
        if name == "binary_cross_entropy" and len(class_weights) != 2:
            raise SpecError("class_weight for binary_cross_entropy needs 2 classes")
        return cls(class_weights)  # type: ignore[call-arg]
    return cls._from_reader(r)


__all__ = [
    "LOSSES",
    "BinaryCrossEntropy",
    "CrossEntropy",
    "Huber",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "get_loss",
    "loss_name",
]
