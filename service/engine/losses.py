"""Loss functions.

``value(y_pred, y_true) -> float`` is the mean over samples; ``grad`` returns dL/dy_pred with
y_pred's shape and dtype. Losses with ``fuses_with`` set also offer ``fused_grad`` giving
dL/dz directly for ``y_pred = act(z)`` (softmax + cross entropy, sigmoid + binary cross
entropy): ``(p - y) / N``, so the activation's backward is skipped.

Targets (after :meth:`Loss.prepare_targets`):
- cross_entropy: integer class indices of shape ``y_pred.shape[:-1]`` or one-hot with
  ``y_pred``'s shape.
- binary_cross_entropy, mse, mae, huber: float array with ``y_pred``'s shape.

A loss is named by a string ("huber") or a spec object ({"type": "huber", "delta": 1.0}).

Class weights (cross_entropy, binary_cross_entropy): ``class_weights[k]`` weighs the rows
of class k, and the loss is the weighted mean ``sum(w_i l_i) / sum(w_i)`` over the batch
(binary: w_1 for targets 1, w_0 for targets 0), as PyTorch's ``weight`` with mean reduction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from .errors import SpecError
from .spec import SpecReader

Array = np.ndarray


def _eps(dtype: np.dtype) -> float:
    return 1e-7 if np.dtype(dtype).itemsize <= 4 else 1e-15


def _match(y_true: Array, y_pred: Array) -> Array:
    """Reshape targets like (N,) to y_pred's (N, 1) when the sizes agree."""
    if y_true.shape != y_pred.shape and y_true.size == y_pred.size:
        return y_true.reshape(y_pred.shape)
    return y_true


def _diff(y_pred: Array, y_true: Array) -> Array:
    """y_pred - y_true as a new array of y_pred's shape."""
    return y_pred - _match(y_true, y_pred)


def _per_element(g: Array, scale: float = 1.0) -> Array:
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


class MeanSquaredError(Loss):
    name = "mse"

    def value(self, y_pred: Array, y_true: Array) -> float:
        d = _diff(y_pred, y_true).ravel()
        return float(np.dot(d, d)) / max(d.size, 1)

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        return _per_element(_diff(y_pred, y_true), 2.0)


class MeanAbsoluteError(Loss):
    name = "mae"

    def value(self, y_pred: Array, y_true: Array) -> float:
        return float(np.mean(np.abs(_diff(y_pred, y_true))))

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        return _per_element(np.sign(_diff(y_pred, y_true)))


class Huber(Loss):
    """Mean over elements of 0.5 d^2 for |d| <= delta, delta (|d| - 0.5 delta) beyond
    (d = y_pred - y_true); the gradient is d clipped to [-delta, delta]."""

    name = "huber"
    spec_keys = ("delta",)

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = float(delta)

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Huber:
        return cls(r.number("delta", 1.0, low=0.0, low_inclusive=False))

    def value(self, y_pred: Array, y_true: Array) -> float:
        d = np.abs(_diff(y_pred, y_true))
        q = np.minimum(d, self.delta)
        return float(np.mean(q * (d - 0.5 * q)))

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        g = _diff(y_pred, y_true)
        np.clip(g, -self.delta, self.delta, out=g)
        return _per_element(g)


class BinaryCrossEntropy(Loss):
    name = "binary_cross_entropy"
    fuses_with = "sigmoid"

    def __init__(self, class_weights: tuple[float, float] | None = None) -> None:
        self.class_weights = class_weights

    def _scale(self, y: Array, like: Array) -> tuple[Array | None, float]:
        """Per-element weights (None: unweighted) and what the sum is divided by."""
        if self.class_weights is None:
            return None, float(max(like.size, 1))
        w0, w1 = self.class_weights
        w = w0 + (w1 - w0) * y
        return w, float(np.sum(w)) or 1.0

    def _weighted(self, g: Array, y: Array) -> Array:
        """Per-element derivatives ``g`` scaled in place into the gradient of the (weighted)
        mean over elements."""
        w, total = self._scale(y, g)
        if w is not None:
            g *= w
        g *= 1.0 / total
        return g

    @staticmethod
    def _clipped(y_pred: Array, y_true: Array) -> tuple[Array, Array]:
        """(y_pred clipped to [eps, 1 - eps] so the logs stay finite, targets of its shape)."""
        eps = _eps(y_pred.dtype)
        return np.clip(y_pred, eps, 1.0 - eps), _match(y_true, y_pred)

    def value(self, y_pred: Array, y_true: Array) -> float:
        p, y = self._clipped(y_pred, y_true)
        ll = y * np.log(p) + (1.0 - y) * np.log1p(-p)
        w, total = self._scale(y, ll)
        if w is None:
            return -float(np.mean(ll))
        return -float(np.sum(w * ll)) / total

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        p, y = self._clipped(y_pred, y_true)
        return self._weighted((p - y) / (p * (1.0 - p)), y)

    def fused_grad(self, y_pred: Array, y_true: Array) -> Array:
        y = _match(y_true, y_pred)
        return self._weighted(y_pred - y, y)


class CrossEntropy(Loss):
    """Categorical cross entropy over the last axis."""

    name = "cross_entropy"
    fuses_with = "softmax"

    def __init__(self, class_weights: tuple[float, ...] | None = None) -> None:
        self.class_weights = None if class_weights is None else np.asarray(class_weights)

    def _row_weights(self, y_true: Array, y_pred: Array, n: int) -> tuple[Array | None, float]:
        """Per-row weights (None: unweighted) and what the sum is divided by."""
        if self.class_weights is None:
            return None, float(max(n, 1))
        if self._is_index(y_true, y_pred):
            w = self.class_weights[y_true.ravel()]
        else:
            w = y_true.reshape(n, -1) @ self.class_weights
        return w, float(np.sum(w)) or 1.0

    @staticmethod
    def _is_index(y_true: Array, y_pred: Array) -> bool:
        return y_true.ndim == y_pred.ndim - 1

    @staticmethod
    def _rows(y_pred: Array) -> tuple[Array, int]:
        c = y_pred.shape[-1]
        return y_pred.reshape(-1, c), y_pred.size // c

    def value(self, y_pred: Array, y_true: Array) -> float:
        eps = _eps(y_pred.dtype)
        p2, n = self._rows(y_pred)
        w, total = self._row_weights(y_true, y_pred, n)
        if self._is_index(y_true, y_pred):
            picked = np.log(np.clip(p2[np.arange(n), y_true.ravel()], eps, 1.0))
            return -float(np.mean(picked) if w is None else np.dot(w, picked) / total)
        y2 = y_true.reshape(p2.shape)
        if w is None:
            return -float(np.sum(y2 * np.log(np.clip(p2, eps, 1.0)))) / total
        return -float(np.dot(w, np.sum(y2 * np.log(np.clip(p2, eps, 1.0)), axis=1))) / total

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        eps = _eps(y_pred.dtype)
        p2, n = self._rows(y_pred)
        w, total = self._row_weights(y_true, y_pred, n)
        if self._is_index(y_true, y_pred):
            g = np.zeros_like(p2)
            rows, cols = np.arange(n), y_true.ravel()
            if w is None:
                g[rows, cols] = -1.0 / (np.clip(p2[rows, cols], eps, 1.0) * n)
            else:
                g[rows, cols] = -(w / total) / np.clip(p2[rows, cols], eps, 1.0)
            return g.reshape(y_pred.shape)
        g = y_true.reshape(p2.shape) / np.clip(p2, eps, 1.0)
        g *= -1.0 / total if w is None else -(w / total)[:, None]
        return g.reshape(y_pred.shape).astype(y_pred.dtype, copy=False)

    def fused_grad(self, y_pred: Array, y_true: Array) -> Array:
        p2, n = self._rows(y_pred)
        w, total = self._row_weights(y_true, y_pred, n)
        if self._is_index(y_true, y_pred):
            g = p2.copy()
            g[np.arange(n), y_true.ravel()] -= 1.0
        else:
            g = p2 - y_true.reshape(p2.shape)
        if w is not None:
            g *= w[:, None]
        g *= 1.0 / total
        return g.reshape(y_pred.shape)

    def prepare_targets(self, y: Array, output_shape: tuple[int, ...], dtype) -> Array:
        """Class indices -> intp array of shape (N, ...); one-hot -> float ``dtype``."""
        y = np.asarray(y)
        c = output_shape[-1]
        if y.ndim >= 1 and y.shape[1:] == tuple(output_shape) and c > 1:
            return np.ascontiguousarray(y, dtype=dtype)
        if y.ndim == len(output_shape) + 1 and y.shape[-1] == 1:
            y = y.reshape(y.shape[:-1])
        if y.shape[1:] != tuple(output_shape[:-1]):
            raise SpecError(
                f"cross_entropy targets must be class indices of shape (N,) or one-hot (N, {c}); "
                f"got shape {y.shape}"
            )
        if np.issubdtype(y.dtype, np.floating):
            if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
                raise SpecError("cross_entropy class indices must be integers")
        elif not np.issubdtype(y.dtype, np.integer):
            raise SpecError("cross_entropy class indices must be integers")
        idx = y.astype(np.intp)
        if idx.size and (idx.min() < 0 or idx.max() >= c):
            raise SpecError(
                f"cross_entropy class indices must be in [0, {c - 1}] for an output of {c} units"
            )
        return idx


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
