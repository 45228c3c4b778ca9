"""Sliding-window helpers for NHWC images (im2col / col2im without per-sample loops)."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

Pair = tuple[int, int]


def out_size(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) along one axis; "same" pads like TensorFlow
    (output ceil(size / stride), extra padding after)."""
    if padding == "same":
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return out, total // 2, total - total // 2
    return (size - kernel) // stride + 1, 0, 0


def windows(x: np.ndarray, kernel: Pair, stride: Pair, out_hw: Pair) -> np.ndarray:
    """Read-only view (N, Ho, Wo, kh, kw, C) of the windows of x: (N, H, W, C)."""
    n, _, _, c = x.shape
    s_n, s_h, s_w, s_c = x.strides
    return as_strided(
        x,
        shape=(n, out_hw[0], out_hw[1], kernel[0], kernel[1], c),
        strides=(s_n, s_h * stride[0], s_w * stride[1], s_h, s_w, s_c),
        writeable=False,
    )


def pad_hw(x: np.ndarray, pads: tuple[Pair, Pair], value: float = 0.0) -> np.ndarray:
    """Pad axes 1 and 2 of (N, H, W, C); returns x itself when there is nothing to pad."""
    if pads == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def scatter_windows(
    dwin: np.ndarray, padded_hw: Pair, stride: Pair, pads: tuple[Pair, Pair]
) -> np.ndarray:
    """col2im: sum window gradients dwin (N, Ho, Wo, kh, kw, C) back into (N, H, W, C).

    Loops over the kh * kw kernel offsets only (each a strided slice add over the batch)."""
    n, ho, wo, kh, kw, c = dwin.shape
    dx = np.zeros((n, padded_hw[0], padded_hw[1], c), dtype=dwin.dtype)
    sh, sw = stride
    for i in range(kh):
        for j in range(kw):
            dx[:, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw] += dwin[
                :, :, :, i, j
            ]
    (top, bottom), (left, right) = pads
    return dx[:, top : padded_hw[0] - bottom, left : padded_hw[1] - right]
