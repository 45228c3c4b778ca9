"""L1 / L2 penalties on the decayed part of the flat parameter vector, and clipping of the
gradient by its global norm. All operate on 1-D views (``Network.flat_params[:decay_size]``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .spec import SpecReader


def read_regularization(spec: Mapping[str, Any] | None) -> tuple[float, float]:
    """``{"l1": a, "l2": b}`` (both >= 0, default 0) -> (a, b); None -> (0, 0)."""
    if spec is None:
        return 0.0, 0.0
    r = SpecReader(spec, None, None, prefix="regularization: ")
    r.check_keys(("l1", "l2"))
    return r.number("l1", 0.0, low=0.0), r.number("l2", 0.0, low=0.0)


def penalty(weights: np.ndarray, l1: float, l2: float) -> float:
    """``l1 * sum|w| + l2 * sum(w^2)`` in float64 (what the gradient below differentiates)."""
    w = weights.astype(np.float64, copy=False)
    return float(l1 * np.abs(w).sum() + l2 * np.dot(w, w))


def add_penalty_grad(
    weights: np.ndarray, grads: np.ndarray, l1: float, l2: float, buf: np.ndarray | None = None
) -> None:
    """``grads += l1 * sign(w) + 2 * l2 * w`` in place (same-shape 1-D arrays)."""
    if l2:
        buf = np.multiply(weights, 2.0 * l2, out=buf)
        grads += buf
    if l1:
        buf = np.sign(weights, out=buf)
        buf *= l1
        grads += buf


def clip_by_global_norm(grads: np.ndarray, max_norm: float) -> float:
    """Scale ``grads`` in place so its L2 norm is at most ``max_norm``; returns the norm
    before clipping."""
    norm = float(np.sqrt(np.dot(grads, grads)))
    if norm > max_norm:
        grads *= max_norm / (norm + 1e-12)
    return norm
