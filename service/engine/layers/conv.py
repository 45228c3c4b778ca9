"""2-D convolution over NHWC images via im2col: (N, H, W, C) -> (N, Ho, Wo, filters)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec import SpecReader
from .affine import AFFINE_KEYS, Affine
from .base import Shape, activate, fmt_shape
from .windows import Pair, out_size, pad_hw, scatter_windows, windows

PADDINGS = ("valid", "same")


class Conv2D(Affine):
    """``a = act(conv(x, W) + b)``; W: (kh, kw, C, filters), b: (filters,).

    The windows of the (padded) input are gathered with a strided view into one
    (N*Ho*Wo, kh*kw*C) matrix, so the convolution is a single matrix product."""

    type_name = "conv2d"
    spec_keys = ("filters", "kernel_size", "stride", "padding", *AFFINE_KEYS)
    width_keys = ("filters",)

    def __init__(
        self,
        filters: int,
        kernel_size: Pair,
        stride: Pair = (1, 1),
        padding: str = "valid",
        **affine: Any,
    ) -> None:
        """``affine``: activation, initializer, use_bias (see :class:`Affine`)."""
        super().__init__(**affine)
        self.filters = filters
        self.kernel = kernel_size
        self.stride = stride
        self.padding = padding
        self._pads: tuple[Pair, Pair] = ((0, 0), (0, 0))
        self._out_hw: Pair = (0, 0)

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Conv2D:
        return cls(
            r.positive_int("filters"),
            r.int_pair("kernel_size"),
            r.int_pair("stride", 1),
            r.choice("padding", PADDINGS, default="valid"),
            **cls._read_affine(r),
        )

    def config(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "filters": self.filters,
            "kernel_size": list(self.kernel),
            "stride": list(self.stride),
            "padding": self.padding,
            **self._affine_config(),
        }

    def _geometry(self, input_shape: Shape, index: int | None) -> tuple[Pair, tuple[Pair, Pair]]:
        """(H, W, C) -> ((Ho, Wo), ((top, bottom), (left, right)) padding); raises
        ``SpecError`` when the input is not an image or the kernel does not fit it."""
        self._expect_rank(input_shape, "height, width, channels", index)
        h, w, _ = input_shape
        (kh, kw), (sh, sw) = self.kernel, self.stride
        ho, top, bottom = out_size(h, kh, sh, self.padding)
        wo, left, right = out_size(w, kw, sw, self.padding)
        if ho < 1 or wo < 1:
            raise self._error(
                f"kernel {kh}x{kw} does not fit input {fmt_shape(input_shape)} with padding "
                f"'{self.padding}'; use a smaller kernel_size or padding 'same'",
                index,
            )
        return (ho, wo), ((top, bottom), (left, right))

    def plan(self, input_shape: Shape, index: int | None = None) -> tuple[Shape, int]:
        """(H, W, C) -> (Ho, Wo, filters); kh * kw * C * filters weights plus filters biases."""
        (ho, wo), _ = self._geometry(input_shape, index)
        kernel = (*self.kernel, input_shape[2], self.filters)
        return (ho, wo, self.filters), self._affine_params(kernel)

    def _allocate(self, rng: np.random.Generator) -> None:
        self._out_hw, self._pads = self._geometry(self.input_shape, None)
        (kh, kw), c = self.kernel, self.input_shape[2]
        fan_in, fan_out = kh * kw * c, kh * kw * self.filters
        self._allocate_affine((kh, kw, c, self.filters), fan_in, fan_out, rng)

    def _conv(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(N, H, W, C) -> (im2col matrix (N*Ho*Wo, kh*kw*C), activations (N*Ho*Wo, filters),
        pre-activations kept for the activation's backward or None)."""
        n = x.shape[0]
        ho, wo = self._out_hw
        xp = pad_hw(np.ascontiguousarray(x), self._pads)
        cols = windows(xp, self.kernel, self.stride, self._out_hw).reshape(n * ho * wo, -1)
        z = cols @ self.params["W"].reshape(-1, self.filters)
        if self.use_bias:
            z += self.params["b"]
        a, z_kept = activate(self.activation, z)
        return cols, a, z_kept

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, H, W, C) -> (N, Ho, Wo, filters); keeps the im2col matrix for backward."""
        self._inputs, self._a, self._z = self._conv(x)
        return self._a.reshape(x.shape[0], *self._out_hw, self.filters)

    def infer(self, x: np.ndarray) -> np.ndarray:
        """(N, H, W, C) -> fresh (N, Ho, Wo, filters); keeps nothing."""
        return self._conv(x)[1].reshape(x.shape[0], *self._out_hw, self.filters)

    def _input_grad(self, g: np.ndarray, out_shape: Shape) -> np.ndarray:
        """Each window's share g @ W.T, summed back onto the (N, H, W, C) input."""
        W = self.params["W"]
        n = out_shape[0]
        (kh, kw), c = self.kernel, self.input_shape[2]
        dwin = (g @ W.reshape(-1, self.filters).T).reshape(n, *self._out_hw, kh, kw, c)
        (top, bottom), (left, right) = self._pads
        padded = (self.input_shape[0] + top + bottom, self.input_shape[1] + left + right)
        return scatter_windows(dwin, padded, self.stride, self._pads)
