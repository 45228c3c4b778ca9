"""Evaluation metrics (whole-array helpers and streaming accumulators used by ``fit``)."""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray


def to_labels(y: Array) -> Array:
    """Predicted/true values -> integer class labels of shape (N,).

    (N, C) with C > 1: argmax (probabilities, scores or one-hot). (N,) or (N, 1): floats are
    thresholded at 0.5 (sigmoid probabilities / 0-1 targets), integers used as they are.
    """
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1)
    flat = y.reshape(y.shape[0]) if y.ndim else y.reshape(1)
    if np.issubdtype(flat.dtype, np.floating):
        return (flat >= 0.5).astype(np.intp)
    return flat.astype(np.intp)


def accuracy(y_pred: Array, y_true: Array) -> float:
    """Fraction of samples whose predicted label equals the true label."""
    p, t = to_labels(y_pred), to_labels(y_true)
    if p.shape != t.shape:
        raise ValueError(f"label shapes differ: {p.shape} vs {t.shape}")
    return float(np.mean(p == t)) if p.size else 0.0


def _as_2d(y: Array, n: int) -> Array:
    return np.asarray(y, dtype=np.float64).reshape(n, -1)


def r2_score(y_pred: Array, y_true: Array) -> float:
    """Coefficient of determination, averaged uniformly over outputs (as sklearn)."""
    n = np.asarray(y_true).shape[0]
    p, t = _as_2d(y_pred, n), _as_2d(y_true, n)
    ss_res = np.sum((t - p) ** 2, axis=0)
    ss_tot = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
    return _r2_from_sums(ss_res, ss_tot)


def _r2_from_sums(ss_res: Array, ss_tot: Array) -> float:
    ok = ss_tot > 0
    scores = np.where(ok, 1.0 - ss_res / np.where(ok, ss_tot, 1.0), np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(scores))


def mean_absolute_error(y_pred: Array, y_true: Array) -> float:
    """Mean of |y_pred - y_true| over all elements."""
    n = np.asarray(y_true).shape[0]
    return float(np.mean(np.abs(_as_2d(y_pred, n) - _as_2d(y_true, n))))


class ClassificationAccumulator:
    """Streams accuracy over mini-batches."""

    def __init__(self) -> None:
        self.correct = 0
        self.count = 0

    def update(self, y_pred: Array, y_true: Array) -> None:
        p, t = to_labels(y_pred), to_labels(y_true)
        self.correct += int(np.count_nonzero(p == t))
        self.count += p.size

    def result(self, prefix: str = "") -> dict[str, float]:
        return {f"{prefix}accuracy": self.correct / self.count if self.count else 0.0}

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable running sums (for mid-epoch checkpoints)."""
        return {"correct": self.correct, "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.correct, self.count = int(state["correct"]), int(state["count"])


class RegressionAccumulator:
    """Streams R^2 (uniform average over outputs) and MAE from per-batch sums (float64).

    ``target_scale`` (scalar or one per output): targets were divided by it for training,
    so MAE is reported times it, in the targets' own units (R^2 does not change)."""

    def __init__(self, target_scale: Array | float | None = None) -> None:
        self.scale = None if target_scale is None else np.asarray(target_scale, np.float64)
        self.n = 0
        self.sum_abs = 0.0
        self.sse: Array | float = 0.0
        self.sum_y: Array | float = 0.0
        self.sum_y2: Array | float = 0.0

    def update(self, y_pred: Array, y_true: Array) -> None:
        n = y_pred.shape[0]
        p, t = _as_2d(y_pred, n), _as_2d(y_true, n)
        d = p - t
        self.n += n
        abs_d = np.abs(d) if self.scale is None else np.abs(d) * self.scale
        self.sum_abs += float(abs_d.sum())
        self.sse = self.sse + np.einsum("ij,ij->j", d, d)
        self.sum_y = self.sum_y + t.sum(axis=0)
        self.sum_y2 = self.sum_y2 + np.einsum("ij,ij->j", t, t)

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable running sums (floats round-trip exactly through JSON)."""
        return {
            "n": self.n,
            "sum_abs": self.sum_abs,
            "sse": np.asarray(self.sse, dtype=np.float64).tolist(),
            "sum_y": np.asarray(self.sum_y, dtype=np.float64).tolist(),
            "sum_y2": np.asarray(self.sum_y2, dtype=np.float64).tolist(),
            "scalar": np.ndim(self.sse) == 0,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        as_value = (lambda v: float(v)) if state["scalar"] else (lambda v: np.asarray(v))
        self.n, self.sum_abs = int(state["n"]), float(state["sum_abs"])
        self.sse, self.sum_y = as_value(state["sse"]), as_value(state["sum_y"])
        self.sum_y2 = as_value(state["sum_y2"])

    def result(self, prefix: str = "") -> dict[str, float]:
        if self.n == 0:
            return {f"{prefix}r2": 0.0, f"{prefix}mae": 0.0}
        sse = np.asarray(self.sse)
        ss_tot = np.maximum(np.asarray(self.sum_y2) - np.asarray(self.sum_y) ** 2 / self.n, 0.0)
        return {
            f"{prefix}r2": _r2_from_sums(sse, ss_tot),
            f"{prefix}mae": self.sum_abs / (self.n * sse.size),
        }
