"""2-D max and average pooling over NHWC images: (N, H, W, C) -> (N, Ho, Wo, C)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import SpecReader
from .base import ParameterFreeLayer, Shape, fmt_shape
from .windows import Pair, out_size


class _Pool2D(ParameterFreeLayer):
    """Shared spec and shape logic; ``stride`` defaults to ``pool_size``; no padding."""

    spec_keys = ("pool_size", "stride")

    def __init__(self, pool_size: Pair, stride: Pair | None = None) -> None:
        super().__init__()
        self.pool = pool_size
        self.stride = stride or pool_size
        self._out_hw: Pair = (0, 0)

    @classmethod
    def _from_reader(cls, r: SpecReader) -> _Pool2D:
        pool = r.int_pair("pool_size", 2)
        return cls(pool, r.int_pair("stride", pool) if r.has("stride") else None)

    def config(self) -> dict[str, Any]:
        return {"type": self.type_name, "pool_size": list(self.pool), "stride": list(self.stride)}

    def plan(self, input_shape: Shape, index: int | None = None) -> tuple[Shape, int]:
        """(H, W, C) -> (Ho, Wo, C); no parameters."""
        self._expect_rank(input_shape, "height, width, channels", index)
        h, w, c = input_shape
        ho = out_size(h, self.pool[0], self.stride[0], "valid")[0]
        wo = out_size(w, self.pool[1], self.stride[1], "valid")[0]
        if ho < 1 or wo < 1:
            raise self._error(
                f"pool {self.pool[0]}x{self.pool[1]} does not fit input {fmt_shape(input_shape)}",
                index,
            )
        return (ho, wo, c), 0

    def _allocate(self, rng: np.random.Generator) -> None:
        self._out_hw = (self.output_shape[0], self.output_shape[1])

    def _offsets(self) -> list[tuple[int, tuple[slice, slice]]]:
        """(window position p, (row slice, col slice)) for each of the ph*pw offsets: the
        slice picks that offset's element of every window, shape (N, Ho, Wo, C)."""
        (ho, wo), (ph, pw), (sh, sw) = self._out_hw, self.pool, self.stride
        return [
            (i * pw + j, (slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw)))
            for i in range(ph)
            for j in range(pw)
        ]


class MaxPool2D(_Pool2D):
    """Maximum over each window; the gradient goes to the first maximum in row-major window
    order (as PyTorch). Loops over the ph*pw window offsets, not samples: each step is one
    strided (N, Ho, Wo, C) slice."""

    type_name = "maxpool2d"

    def __init__(self, pool_size: Pair, stride: Pair | None = None) -> None:
        super().__init__(pool_size, stride)
        self._x: np.ndarray | None = None
        self._out: np.ndarray | None = None

    def _pool(self, x: np.ndarray) -> np.ndarray:
        """(N, H, W, C) -> fresh (N, Ho, Wo, C) window maxima."""
        offsets = self._offsets()
        _, (rows, cols) = offsets[0]
        best = x[:, rows, cols].copy()
        for _, (rows, cols) in offsets[1:]:
            np.maximum(best, x[:, rows, cols], out=best)
        return best

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Keeps the input and output for backward (to locate each window's maximum)."""
        self._x, self._out = x, self._pool(x)
        return self._out

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Like forward, keeping nothing."""
        return self._pool(x)

    def _input_grad(self, grad: np.ndarray, skip_activation: bool) -> np.ndarray:
        if self._x is None or self._out is None:
            raise RuntimeError("backward called before forward")
        x, out = self._x, self._out
        dx = np.zeros((grad.shape[0], *self.input_shape), dtype=grad.dtype)
        free = np.ones(out.shape, dtype=bool)  # windows whose maximum is not yet claimed
        disjoint = all(s >= p for s, p in zip(self.stride, self.pool, strict=True))
        for _, (rows, cols) in self._offsets():
            hit = np.equal(x[:, rows, cols], out)
            hit &= free
            free ^= hit
            if disjoint:  # each input element is in one window: write, don't accumulate
                np.multiply(grad, hit, out=dx[:, rows, cols])
            else:
                dx[:, rows, cols] += grad * hit
        return dx


class AvgPool2D(_Pool2D):
    """Mean over each window (a sum of ph*pw strided slices)."""

    type_name = "avgpool2d"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        offsets = self._offsets()
        _, (rows, cols) = offsets[0]
        total = x[:, rows, cols].copy()
        for _, (rows, cols) in offsets[1:]:
            total += x[:, rows, cols]
        total *= total.dtype.type(1.0 / len(offsets))
        return total

    def _input_grad(self, grad: np.ndarray, skip_activation: bool) -> np.ndarray:
        offsets = self._offsets()
        g = grad * grad.dtype.type(1.0 / len(offsets))
        dx = np.zeros((grad.shape[0], *self.input_shape), dtype=grad.dtype)
        for _, (rows, cols) in offsets:
            dx[:, rows, cols] += g
        return dx
