"""Seeded weight initializers. Weights for a dense layer have shape (fan_in, fan_out)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def he_normal(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype
) -> np.ndarray:
    """Normal(0, sqrt(2 / fan_in))."""
    w = rng.standard_normal(shape, dtype=np.dtype(dtype))
    w *= math.sqrt(2.0 / fan_in)
    return w


def glorot_uniform(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype
) -> np.ndarray:
    """Uniform(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out))."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    w = rng.random(shape, dtype=np.dtype(dtype))
    w *= 2.0 * limit
    w -= limit
    return w


def zeros(
    shape: tuple[int, ...], fan_in: int, fan_out: int, rng: np.random.Generator, dtype
) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


Initializer = Callable[[tuple[int, ...], int, int, np.random.Generator, object], np.ndarray]

INITIALIZERS: dict[str, Initializer] = {"he": he_normal, "glorot": glorot_uniform}


def default_initializer(activation: str) -> str:
    """He for rectifiers, Glorot otherwise."""
    return "he" if activation in ("relu", "leaky_relu") else "glorot"
