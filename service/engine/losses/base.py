"""The loss base class and the helpers the losses share.

``value(y_pred, y_true) -> float`` is the mean over samples; ``grad`` returns dL/dy_pred with
y_pred's shape and dtype. Losses with ``fuses_with`` set also offer ``fused_grad`` giving
dL/dz directly for ``y_pred = act(z)`` (softmax + cross entropy, sigmoid + binary cross
entropy): ``(p - y) / N``, so the activation's backward is skipped.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..errors import SpecError
from ..spec import SpecReader

Array = np.ndarray


def eps_for(dtype: np.dtype) -> float:
    """How far probabilities are kept from 0 and 1 before a log: 1e-7 (float32), 1e-15."""
    return 1e-7 if np.dtype(dtype).itemsize <= 4 else 1e-15


def match(y_true: Array, y_pred: Array) -> Array:
    """Reshape targets like (N,) to y_pred's (N, 1) when the sizes agree."""
    if y_true.shape != y_pred.shape and y_true.size == y_pred.size:
        return y_true.reshape(y_pred.shape)
    return y_true


def diff(y_pred: Array, y_true: Array) -> Array:
    """y_pred - y_true as a new array of y_pred's shape."""
    return y_pred - match(y_true, y_pred)


def per_element(g: Array, scale: float = 1.0) -> Array:
    """``g * scale / g.size`` in place: the gradient of a mean over all elements whose
    per-element derivative is ``scale * g``."""
    g *= scale / max(g.size, 1)
    return g


class Loss:
    """Base class for losses."""

    name: ClassVar[str] = ""
    fuses_with: ClassVar[str | None] = None
    #: options a ``{"type": name, ...}`` spec may give besides "type"
    spec_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Loss:
        """The loss with the options read by ``r`` (its keys are already checked)."""
        return cls()

    def value(self, y_pred: Array, y_true: Array) -> float:
        raise NotImplementedError

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        raise NotImplementedError

    def fused_grad(self, y_pred: Array, y_true: Array) -> Array:
        raise NotImplementedError(f"{self.name} has no fused gradient")

    def prepare_targets(self, y: Array, output_shape: tuple[int, ...], dtype) -> Array:
        """Validate and convert a whole target array once (not per batch).

        ``output_shape`` is the network's per-sample output shape."""
        y = np.asarray(y)
        n = y.shape[0] if y.ndim else 0
        want = (n, *output_shape)
        if y.shape != want:
            if y.size != int(np.prod(want)):
                raise SpecError(
                    f"targets of shape {y.shape} do not match network output shape "
                    f"{list(output_shape)} for loss {self.name}"
                )
            y = y.reshape(want)
        if not np.issubdtype(y.dtype, np.number) and y.dtype != bool:
            raise SpecError(f"targets for loss {self.name} must be numeric")
        return np.ascontiguousarray(y, dtype=dtype)
