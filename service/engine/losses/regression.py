"""Regression losses: mean squared error, mean absolute error, Huber. Targets: a float array
with y_pred's shape (or (N,) for an (N, 1) output)."""

from __future__ import annotations

import numpy as np

from ..spec import SpecReader
from .base import Array, Loss, diff, per_element


class MeanSquaredError(Loss):
    name = "mse"

    def value(self, y_pred: Array, y_true: Array) -> float:
        d = diff(y_pred, y_true).ravel()
        return float(np.dot(d, d)) / max(d.size, 1)

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        return per_element(diff(y_pred, y_true), 2.0)


class MeanAbsoluteError(Loss):
    name = "mae"

    def value(self, y_pred: Array, y_true: Array) -> float:
        return float(np.mean(np.abs(diff(y_pred, y_true))))

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        return per_element(np.sign(diff(y_pred, y_true)))


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
        d = np.abs(diff(y_pred, y_true))
        q = np.minimum(d, self.delta)
        return float(np.mean(q * (d - 0.5 * q)))

    def grad(self, y_pred: Array, y_true: Array) -> Array:
        g = diff(y_pred, y_true)
        np.clip(g, -self.delta, self.delta, out=g)
        return per_element(g)
