"""Layer spec lists covering every layer type, with a per-sample input shape and the
activation each network applies last: shared by the engine's plan test and the job plan's
parameter-count test."""

from __future__ import annotations

from typing import Any

PLAN_CASES: list[tuple[list[dict[str, Any]], list[int], str]] = [
    (
        [
            {
                "type": "conv2d",
                "filters": 3,
                "kernel_size": [3, 2],
                "stride": [2, 1],
                "padding": "same",
                "use_bias": False,
            },
            {"type": "maxpool2d", "pool_size": [2, 3]},
            {"type": "batchnorm"},
            {"type": "conv2d", "filters": 2, "kernel_size": 1},
            {"type": "avgpool2d", "pool_size": [1, 2], "stride": 1},
            {"type": "flatten"},
            {"type": "dense", "units": 4, "use_bias": False},
        ],
        [10, 13, 2],
        "linear",
    ),
    (
        [
            {"type": "conv2d", "filters": 4, "kernel_size": 3, "use_bias": False},
            {"type": "avgpool2d", "pool_size": [3, 1]},
            {"type": "flatten"},
            {"type": "dropout", "rate": 0.1},
            {"type": "dense", "units": 3, "activation": "softmax"},
        ],
        [9, 8, 1],
        "softmax",
    ),
    (
        [
            {"type": "lstm", "units": 4, "return_sequences": True},
            {"type": "batchnorm"},
            {"type": "gru", "units": 3, "return_sequences": True},
            {"type": "simple_rnn", "units": 2},
            {"type": "dense", "units": 2},
        ],
        [5, 3],
        "linear",
    ),
    (
        [
            {"type": "embedding", "input_dim": 20, "output_dim": 4},
            {"type": "gru", "units": 5, "return_sequences": True},
            {"type": "dense", "units": 3, "use_bias": False},
            {"type": "flatten"},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ],
        [7],
        "softmax",
    ),
    (
        [
            {"type": "dense", "units": 6, "activation": "relu"},
            {"type": "batchnorm", "momentum": 0.5},
            {"type": "activation", "activation": "sigmoid"},
            {"type": "dropout", "rate": 0.3},
            {"type": "flatten"},
        ],
        [3, 5],
        "sigmoid",
    ),
    (
        [
            {"type": "conv2d", "filters": 2, "kernel_size": 2, "activation": "tanh"},
            {"type": "maxpool2d", "pool_size": 2, "stride": 1},
            {"type": "flatten"},
        ],
        [4, 4, 3],
        "linear",
    ),
]
