"""Feature standardisation and regression-target scaling (float32, JSON-serialisable)."""

from __future__ import annotations

from typing import Self

import numpy as np

from service.data.errors import DatasetError

_MIN_STD = 1e-12


def _stats(a: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over ``axes`` in float64, stored as float32; std ~0 -> 1."""
    a64 = np.asarray(a, dtype=np.float64)
    if a64.shape[0] == 0:
        raise ValueError("cannot fit on an empty array")
    if not np.all(np.isfinite(a64)):
        raise ValueError("cannot fit on non-finite values")
    mean = a64.mean(axis=axes)
    std = a64.std(axis=axes)
    std = np.where(std > _MIN_STD, std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


class _ZScaler:
    """A fitted ``mean`` and ``std`` (float32 arrays, None until fitted): z = (v - mean) / std.
    Holds what both scalers share: the round trip, the JSON form and the fitted check."""

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None):
        self.mean = mean
        self.std = std

    def transform(self, v: np.ndarray) -> np.ndarray:
        """(v - mean) / std as a new float32 array of v's shape (also a batch the engine
        gathers from a read-only memory map: the input is never written)."""
        v = self._check(v)
        return np.divide(np.subtract(v, self.mean, dtype=np.float32), self.std, dtype=np.float32)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """z * std + mean as a new float32 array of z's shape."""
        z = self._check(z)
        return (z * self.std + self.mean).astype(np.float32)

    def _fitted(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std); raises RuntimeError before fit."""
        if self.mean is None or self.std is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted")
        return self.mean, self.std

    def _check(self, v: np.ndarray) -> np.ndarray:
        """v as float32, once fitted."""
        self._fitted()
        return np.asarray(v, dtype=np.float32)

    def to_dict(self) -> dict:
        """{"mean": m, "std": s}: lists of floats, or floats for scalar statistics."""
        mean, std = self._fitted()
        return {"mean": mean.tolist(), "std": std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> Self:
        """Inverse of to_dict; raises ValueError on malformed input."""
        name = cls.__name__
        try:
            mean = np.asarray(d["mean"], dtype=np.float32)
            std = np.asarray(d["std"], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid {name} dict: {exc!r}") from None
        if mean.shape != std.shape or mean.ndim > 1 or np.any(std <= 0):
            raise ValueError(f"invalid {name} dict: mean/std shapes or values are inconsistent")
        return cls(mean, std)


class Standardizer(_ZScaler):
    """Per-feature z-scoring. For 2-D X (N, F) the statistics have shape (F,) (over axis 0);
    for X with more dims (N, ..., C) they are per last axis, shape (C,), computed over all
    other axes (e.g. per channel for N x H x W x C images). Constant features get std 1."""

    def fit(self, X: np.ndarray) -> Standardizer:
        """Compute mean/std from X (N, F) or (N, ..., C); returns self."""
        X = np.asarray(X)
        if X.ndim < 2:
            raise ValueError(f"Standardizer needs X with at least 2 dims, got shape {X.shape}")
        self.mean, self.std = _stats(X, tuple(range(X.ndim - 1)))
        return self

    def fit_rows(self, X: np.ndarray, rows: np.ndarray, chunk_rows: int = 8192) -> Standardizer:
        """Like fit(X[rows]) but in blocks of rows, so a memory-mapped X is never copied whole.

        Sums in float64 (two passes: mean, then squared deviations) for the same accuracy.
        """
        if X.ndim < 2 or len(rows) == 0:
            raise ValueError(f"cannot fit on X of shape {X.shape} with {len(rows)} rows")
        rows = np.sort(np.asarray(rows))
        axes = tuple(range(X.ndim - 1))
        count = len(rows) * int(np.prod(X.shape[1:-1], dtype=np.int64))
        total = np.zeros(X.shape[-1])
        for start in range(0, len(rows), chunk_rows):
            total += np.asarray(X[rows[start : start + chunk_rows]], np.float64).sum(axis=axes)
        mean = total / count
        squares = np.zeros(X.shape[-1])
        for start in range(0, len(rows), chunk_rows):
            block = np.asarray(X[rows[start : start + chunk_rows]], np.float64) - mean
            squares += np.square(block).sum(axis=axes)
        std = np.sqrt(squares / count)
        self.mean = mean.astype(np.float32)
        self.std = np.where(std > _MIN_STD, std, 1.0).astype(np.float32)
        return self

    def _check(self, X: np.ndarray) -> np.ndarray:
        """X as float32, with the fitted number of features in its last axis."""
        X = super()._check(X)
        features = self._fitted()[0].shape[0]
        if X.ndim < 1 or X.shape[-1] != features:
            raise DatasetError(
                f"expected {features} features in the last axis, got shape {X.shape}"
            )
        return X

    @classmethod
    def from_dict(cls, d: dict) -> Standardizer:
        """Inverse of to_dict (lists of floats); raises ValueError on malformed input."""
        scaler = super().from_dict(d)
        if scaler.mean.ndim != 1:
            raise ValueError("invalid Standardizer dict: mean must be a list")
        return scaler


class TargetScaler(_ZScaler):
    """z-scoring of regression targets: y (N,) -> scalar stats; y (N, k) -> stats (k,).
    Constant targets get std 1."""

    def fit(self, y: np.ndarray) -> TargetScaler:
        """Compute mean/std over axis 0 of y (N,) or (N, k); returns self."""
        y = np.asarray(y)
        if y.ndim not in (1, 2):
            raise ValueError(f"TargetScaler needs y of shape (N,) or (N, k), got {y.shape}")
        self.mean, self.std = _stats(y, (0,))
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        """(y - mean) / std as float32, same shape as y. Computed in float64, so targets
        that fit float32 never overflow (e.g. -3e38 and 3e38, whose difference would)."""
        mean, std = self._fitted()
        y = self._check(y).astype(np.float64)
        return ((y - mean.astype(np.float64)) / std).astype(np.float32)

    def inverse_transform64(self, z: np.ndarray) -> np.ndarray:
        """z * std + mean in float64 (values beyond float32's range stay finite)."""
        mean, std = self._fitted()
        z = self._check(z).astype(np.float64)
        return z * std.astype(np.float64) + mean.astype(np.float64)
