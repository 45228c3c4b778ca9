"""Shared helpers for engine tests: finite-difference gradient checking (float64), and a
small classification problem (three 2-D blobs) with a network for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest


def numeric_grad(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` w.r.t. ``x``, perturbing x in place."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / max(||a|| + ||b||, tiny)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    denom = max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)
    return float(np.linalg.norm(a - b) / denom)


class GradCheck:
    numeric_grad = staticmethod(numeric_grad)
    rel_error = staticmethod(rel_error)

    @staticmethod
    def assert_close(
        f: Callable[[], float], x: np.ndarray, analytic: np.ndarray, tol: float = 1e-5
    ) -> None:
        assert analytic.shape == x.shape
        num = numeric_grad(f, x)
        err = rel_error(analytic, num)
        assert err < tol, f"relative error {err:.3g} >= {tol}"


@pytest.fixture
def gradcheck() -> GradCheck:
    return GradCheck()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """X (120, 2): three Gaussian blobs (std 0.5); y (120,): their labels 0..2."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 120)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    return centers[y] + rng.standard_normal((120, 2)) * 0.5, y


@pytest.fixture
def blob_mlp() -> list[dict[str, Any]]:
    """Layers of a classifier for the blobs: dense 16 relu, dropout 0.2, dense 3 softmax."""
    return [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dropout", "rate": 0.2},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ]
