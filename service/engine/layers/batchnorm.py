"""Batch normalisation over the last axis: (N, ..., C) -> (N, ..., C).

Statistics are taken over every axis but the last (per feature for (N, F), per channel for
N x H x W x C images, per feature for N x T x F sequences)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import SpecReader
from .base import Layer, Shape


class BatchNorm(Layer):
    """``y = gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    Training uses the batch mean and (biased) variance and updates the running statistics
    ``running = momentum * running + (1 - momentum) * batch`` (the running variance uses the
    unbiased batch variance, as PyTorch; PyTorch's ``momentum`` is ``1 - momentum`` here).
    Inference uses the running statistics. ``running_mean`` / ``running_var`` are
    non-trainable ``state`` entries, saved with the weights.

    A training batch holding a single value per channel (one row of (N, F) features, e.g.
    the trailing batch when ``n % batch_size == 1``) has no variance: PyTorch raises. Here
    that batch is normalised with the running statistics, which it leaves unchanged, and
    its gradient treats them as constants (so the row still trains gamma, beta and the
    layers below, and cannot pull ``running_var`` toward 0)."""

    type_name = "batchnorm"
    spec_keys = ("momentum", "epsilon")

    def __init__(self, momentum: float = 0.9, epsilon: float = 1e-5) -> None:
        super().__init__()
        self.momentum = momentum
        self.epsilon = epsilon
        self._xhat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None
        self._training = False

    @classmethod
    def _from_reader(cls, r: SpecReader) -> BatchNorm:
        return cls(
            r.number("momentum", 0.9, low=0.0, high=1.0, high_inclusive=False),
            r.number("epsilon", 1e-5, low=0.0, low_inclusive=False),
        )

    def config(self) -> dict[str, Any]:
        return {"type": self.type_name, "momentum": self.momentum, "epsilon": self.epsilon}

    @property
    def decay_keys(self) -> tuple[str, ...]:
        return ()

    def plan(self, input_shape: Shape, index: int | None = None) -> tuple[Shape, int]:
        """(..., C) -> (..., C); gamma and beta of C each (running statistics are state)."""
        if len(input_shape) < 1:
            raise self._error("expects input with a feature axis", index)
        return tuple(input_shape), 2 * input_shape[-1]

    def _allocate(self, rng: np.random.Generator) -> None:
        c = self.input_shape[-1]
        self.params["gamma"] = np.ones(c, dtype=self.dtype)
        self.params["beta"] = np.zeros(c, dtype=self.dtype)
        self.grads["gamma"] = np.zeros(c, dtype=self.dtype)
        self.grads["beta"] = np.zeros(c, dtype=self.dtype)
        self.state["running_mean"] = np.zeros(c, dtype=self.dtype)
        self.state["running_var"] = np.ones(c, dtype=self.dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, ..., C) -> (N, ..., C); keeps the normalised input for backward."""
        c = x.shape[-1]
        x2 = x.reshape(-1, c)
        m = x2.shape[0]
        batch_stats = training and m > 1  # one value per channel: running stats (see class)
        if batch_stats:
            mean = x2.mean(axis=0)
            xc = x2 - mean
            var = np.einsum("ij,ij->j", xc, xc) / m
            mom = self.momentum
            rm, rv = self.state["running_mean"], self.state["running_var"]
            rm *= mom
            rm += (1.0 - mom) * mean
            rv *= mom
            rv += (1.0 - mom) * var * (m / (m - 1))
        else:
            mean, var = self.state["running_mean"], self.state["running_var"]
            xc = x2 - mean
        inv_std = 1.0 / np.sqrt(var + self.epsilon)
        xhat = xc
        xhat *= inv_std
        self._xhat, self._inv_std, self._training = xhat, inv_std, batch_stats
        out = xhat * self.params["gamma"]
        out += self.params["beta"]
        return out.reshape(x.shape)

    def infer(self, x: np.ndarray) -> np.ndarray:
        """(N, ..., C) -> fresh (N, ..., C) with the running statistics; keeps nothing."""
        inv_std = 1.0 / np.sqrt(self.state["running_var"] + self.epsilon)
        out = x.reshape(-1, x.shape[-1]) - self.state["running_mean"]
        out *= inv_std
        out *= self.params["gamma"]
        out += self.params["beta"]
        return out.reshape(x.shape)

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        if self._xhat is None or self._inv_std is None:
            raise RuntimeError("backward called before forward")
        c = grad.shape[-1]
        g = grad.reshape(-1, c)
        xhat = self._xhat
        self.column_sums(g, self.grads["beta"])
        np.einsum("ij,ij->j", g, xhat, out=self.grads["gamma"])
        if not need_input_grad:
            return None
        if not self._training:  # statistics were constants
            return (g * (self.params["gamma"] * self._inv_std)).reshape(grad.shape)
        m = g.shape[0]
        # dx = gamma * inv_std / m * (m g - sum(g) - xhat * sum(g xhat))  (training stats)
        dx = g * m
        dx -= self.grads["beta"]
        dx -= xhat * self.grads["gamma"]
        dx *= self.params["gamma"] * self._inv_std / m
        return dx.reshape(grad.shape)
