"""Count a network's parameters from its spec alone, before anything is allocated.

Used to refuse oversized jobs cheaply; the engine's own shape checks come after.
"""

from __future__ import annotations

import math
from typing import Any


def _pair(value: Any, default: int | tuple[int, int]) -> tuple[int, int]:
    """k -> (k, k), [a, b] -> (a, b); None (absent) -> ``default`` (an int or a pair)."""
    if value is None:
        value = default
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


def estimate_params(layers: list[dict[str, Any]], input_shape: list[int]) -> int:
    """Trainable parameters of the spec on inputs of `input_shape` (per sample)."""
    shape = list(input_shape)
    total = 0
    for layer in layers:
        kind = layer.get("type")
        last = shape[-1] if shape else 1
        if kind == "dense":
            units = int(layer["units"])
            total += last * units + (units if layer.get("use_bias", True) else 0)
            shape = [*shape[:-1], units]
        elif kind == "conv2d" and len(shape) == 3:
            kh, kw = _pair(layer.get("kernel_size"), 3)
            sh, sw = _pair(layer.get("stride"), 1)
            filters = int(layer["filters"])
            total += kh * kw * last * filters + (filters if layer.get("use_bias", True) else 0)
            if layer.get("padding", "valid") == "same":
                h, w = math.ceil(shape[0] / sh), math.ceil(shape[1] / sw)
            else:
                h, w = (shape[0] - kh) // sh + 1, (shape[1] - kw) // sw + 1
            shape = [max(h, 1), max(w, 1), filters]
        elif kind in ("maxpool2d", "avgpool2d") and len(shape) == 3:
            ph, pw = _pair(layer.get("pool_size"), 2)
            sh, sw = _pair(layer.get("stride"), (ph, pw))
            shape = [max((shape[0] - ph) // sh + 1, 1), max((shape[1] - pw) // sw + 1, 1), shape[2]]
        elif kind == "flatten":
            shape = [math.prod(shape)]
        elif kind == "batchnorm":
            total += 2 * last
        elif kind == "embedding":
            dim = int(layer["output_dim"])
            total += int(layer["input_dim"]) * dim
            shape = [*shape, dim]
        elif kind in ("simple_rnn", "lstm", "gru"):
            units = int(layer["units"])
            gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
            total += gates * (last * units + units * units + units * (2 if kind == "gru" else 1))
            shape = [shape[0], units] if layer.get("return_sequences") and shape else [units]
    return total
