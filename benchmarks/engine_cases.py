"""Benchmark cases for engine_bench.py: data, identical engine / PyTorch / scikit-learn models.

Data: scikit-learn's bundled 8x8 digits (no download), resized (bilinear) to the shape each
network needs and augmented (random shifts of up to 1 input pixel plus a little noise) to
enough rows for timing; a fixed held-out split measures accuracy. Everything is float32.
Torch models receive copies of the engine's initial weights, so both start identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits

from service.engine import Network, build_network


def _resize(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resize of (N, 8, 8) images -> (N, h, w)."""
    n, sh, sw = img.shape
    ys, xs = np.linspace(0, sh - 1, h), np.linspace(0, sw - 1, w)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, sh - 1), np.minimum(x0 + 1, sw - 1)
    fy, fx = (ys - y0)[None, :, None], (xs - x0)[None, None, :]
    top = img[:, y0][:, :, x0] * (1 - fx) + img[:, y0][:, :, x1] * fx
    bottom = img[:, y1][:, :, x0] * (1 - fx) + img[:, y1][:, :, x1] * fx
    return top * (1 - fy) + bottom * fy


def digits(h: int, w: int, n_train: int, n_test: int = 1000, seed: int = 0):
    """(X_train (n_train, h, w), y_train, X_test, y_test), float32 in about [0, 1]."""
    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    test, train = order[:360], order[360:]

    def make(rows: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        pick = rng.choice(rows, n)
        imgs = X[pick].reshape(-1, 8, 8) / 16.0
        shifted = np.empty_like(imgs)
        for i, (dy, dx) in enumerate(rng.integers(-1, 2, (n, 2))):
            shifted[i] = np.roll(imgs[i], (dy, dx), axis=(0, 1))
        out = _resize(shifted, h, w) + rng.normal(0, 0.05, (n, h, w))
        return np.ascontiguousarray(out, dtype=np.float32), y[pick].astype(np.int64)

    return (*make(train, n_train), *make(test, n_test))


@dataclass
class Case:
    """One side-by-side case: engine spec, torch module, data and training settings."""

    name: str
    spec: list[dict[str, Any]]
    input_shape: tuple[int, ...]
    batch: int
    n_train: int
    target: float  # engine samples/s over torch's must be >= this
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    sklearn: tuple[int, ...] | None = None  # hidden sizes when MLPClassifier applies

    def engine_net(self) -> Network:
        return build_network(self.spec, self.input_shape, seed=0)


def _mlp_spec(hidden: tuple[int, ...]) -> list[dict[str, Any]]:
    return [{"type": "dense", "units": u, "activation": "relu"} for u in hidden] + [
        {"type": "dense", "units": 10, "activation": "softmax"}
    ]


def make_cases(quick: bool) -> list[Case]:
    """The training cases of issues #4 and #14 (smaller epochs with ``quick``)."""
    scale = 2 if quick else 1
    cases = []
    n = 8192 // scale
    X, y, Xt, yt = digits(28, 28, n)
    cases.append(
        Case("mlp 784-256-128-10", _mlp_spec((256, 128)), (784,), 128, n, 1.3,
             X.reshape(n, 784), y, Xt.reshape(-1, 784), yt, sklearn=(256, 128))
    )  # fmt: skip
    n = 8192 // scale
    X, y, Xt, yt = digits(8, 8, n, seed=1)
    cases.append(
        Case("mlp 64-64-32-10", _mlp_spec((64, 32)), (64,), 32, n, 3.0,
             X.reshape(n, 64), y, Xt.reshape(-1, 64), yt, sklearn=(64, 32))
    )  # fmt: skip
    n = 2048 // scale
    X, y, Xt, yt = digits(28, 28, n, seed=2)
    conv = [
        {"type": "conv2d", "filters": 16, "kernel_size": 3, "activation": "relu"},
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ]
    cases.append(
        Case("conv 28x28x1 c16 3x3 pool dense10", conv, (28, 28, 1), 64, n, 0.6,
             X[..., None], y, Xt[..., None], yt)
    )  # fmt: skip
    n = 1024 // scale
    X, y, Xt, yt = digits(32, 16, n, seed=3)
    for kind in ("lstm", "gru"):
        rnn = [
            {"type": kind, "units": 128},
            {"type": "dense", "units": 10, "activation": "softmax"},
        ]
        name = f"{kind} T32 F16 u128 dense10"
        cases.append(Case(name, rnn, (32, 16), 64, n, 1.0, X, y, Xt, yt))
    return cases


# ---- PyTorch twins with the engine's initial weights ----------------------------------------
class _RecurrentHead(torch.nn.Module):
    """torch.nn.LSTM or GRU over (N, T, F), its last state through a linear layer."""

    def __init__(self, kind: str, f: int, units: int) -> None:
        super().__init__()
        self.rnn = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(f, units, batch_first=True)
        self.dense = torch.nn.Linear(units, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.rnn(x)
        return self.dense((h[0] if isinstance(h, tuple) else h)[-1])


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float32)


def torch_twin(case: Case, net: Network) -> tuple[torch.nn.Module, Any]:
    """(module producing logits, input converter) with ``net``'s weights. The softmax of
    the engine's last layer is folded into torch's cross_entropy, as torch users write it."""
    w = net.get_weights()
    kinds = [s["type"] for s in case.spec]
    if kinds[0] == "dense":
        mods: list[torch.nn.Module] = []
        for i, s in enumerate(case.spec):
            lin = torch.nn.Linear(*w[f"layers.{i}.W"].shape)
            lin.weight.data, lin.bias.data = _t(w[f"layers.{i}.W"].T), _t(w[f"layers.{i}.b"])
            mods += [lin] + ([torch.nn.ReLU()] if s["activation"] == "relu" else [])
        return torch.nn.Sequential(*mods), _t
    if kinds[0] == "conv2d":
        W = w["layers.0.W"]  # (kh, kw, C, F) -> (F, C, kh, kw)
        conv = torch.nn.Conv2d(W.shape[2], W.shape[3], W.shape[:2])
        conv.weight.data, conv.bias.data = _t(W.transpose(3, 2, 0, 1)), _t(w["layers.0.b"])
        # our flatten is NHWC order: permute torch's NCHW features the same way
        ho, wo, f = net.layers[1].output_shape
        D = w["layers.3.W"].reshape(ho, wo, f, 10).transpose(2, 0, 1, 3).reshape(-1, 10)
        lin = torch.nn.Linear(D.shape[0], 10)
        lin.weight.data, lin.bias.data = _t(D.T), _t(w["layers.3.b"])
        model = torch.nn.Sequential(
            conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), lin
        )
        return model, lambda a: _t(a.transpose(0, 3, 1, 2))  # NHWC -> NCHW once
    model = _RecurrentHead(kinds[0], case.input_shape[1], case.spec[0]["units"])
    rnn = model.rnn
    rnn.weight_ih_l0.data, rnn.weight_hh_l0.data = _t(w["layers.0.W"].T), _t(w["layers.0.U"].T)
    rnn.bias_ih_l0.data = _t(w["layers.0.b"])
    rnn.bias_hh_l0.data = (
        _t(w["layers.0.b_hh"]) if "layers.0.b_hh" in w else torch.zeros_like(rnn.bias_ih_l0.data)
    )
    model.dense.weight.data, model.dense.bias.data = _t(w["layers.1.W"].T), _t(w["layers.1.b"])
    return model, _t


def floor_step(net: Network, batch: int) -> Any:
    """A function doing one training step's matrix products of an all-dense ``net`` (the
    same shapes as the engine: forward, weight gradients, input gradients but the first)
    with NumPy's BLAS into preallocated outputs, and nothing else."""
    Ws = [layer.params["W"] for layer in net.layers]
    rng = np.random.default_rng(0)
    acts = [rng.standard_normal((batch, Ws[0].shape[0])).astype(np.float32)]
    acts += [np.empty((batch, W.shape[1]), np.float32) for W in Ws]
    grads = [np.empty_like(a) for a in acts]
    for g in grads:
        g[...] = 0.01
    dWs = [np.empty_like(W) for W in Ws]

    def step() -> None:
        for i, W in enumerate(Ws):
            np.matmul(acts[i], W, out=acts[i + 1])
        for i in range(len(Ws) - 1, -1, -1):
            np.matmul(acts[i].T, grads[i + 1], out=dWs[i])
            if i > 0:
                np.matmul(grads[i + 1], Ws[i].T, out=grads[i])

    return step
