"""Classification losses: binary and categorical cross entropy.

Targets (after :meth:`~.base.Loss.prepare_targets`):
- cross_entropy: integer class indices of shape ``y_pred.shape[:-1]`` or one-hot with
  ``y_pred``'s shape.
- binary_cross_entropy: float array with ``y_pred``'s shape.

Class weights: ``class_weights[k]`` weighs the rows of class k, and the loss is the weighted
mean ``sum(w_i l_i) / sum(w_i)`` over the batch (binary: w_1 for targets 1, w_0 for targets
0), as PyTorch's ``weight`` with mean reduction.
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from .base import Array, Loss, eps_for, match


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
        eps = eps_for(y_pred.dtype)
        return np.clip(y_pred, eps, 1.0 - eps), match(y_true, y_pred)

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
        y = match(y_true, y_pred)
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
        eps = eps_for(y_pred.dtype)
        p2, n = self._rows(y_pred)
        w, total = self._row_weights(y_true, y_pred, n)
        if self._is_index(y_true, y_pred):
            picked = p2[np.arange(n), y_true.ravel()]  # a copy: clipped and logged in place
            np.maximum(picked, eps, out=picked)
            np.minimum(picked, 1.0, out=picked)
            np.log(picked, out=picked)
            return -float(np.add.reduce(picked) if w is None else np.dot(w, picked)) / total
        y2 = y_true.reshape(p2.shape)
        if w is None:
            return -float(np.sum(y2 * np.log(np.clip(p2, eps, 1.0)))) / total
        return -float(np.dot(w, np.sum(y2 * np.log(np.clip(p2, eps, 1.0)), axis=1))) / total

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        eps = eps_for(y_pred.dtype)
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
