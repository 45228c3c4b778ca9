"""Where one training step of the 784-256-128-10 MLP (batch 128, Adam) spends its time.

    .venv/bin/python benchmarks/step_breakdown.py [--reps 11] [--steps 16] [--recurrent]

Times, with the process's CPU time on one BLAS thread, the parts of the step that
``fit`` runs (the same objects and calls, see service/engine/epoch.py), each repeated
``--steps`` times per repetition and alternated with the others, medians of ``--reps``
(keep reps x steps well below 800, see the subnormal note at the end of main):
batch gather, forward, loss value and accuracy, loss gradient, backward, optimizer step;
the matrix products alone (engine_cases.floor_step); and the whole step. Prints each part
in microseconds per step and as a share of the whole step (issue 14 item 6). With
``--recurrent``: the lstm and gru steps of engine_bench split into forward, backward,
optimizer and the recurrent layer's matrix products alone (each layer's own product
shapes).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS.add_argument("--reps", type=int, default=11, help="repetitions (medians)")
ARGS.add_argument("--steps", type=int, default=16, help="steps per timed repetition")
ARGS.add_argument("--recurrent", action="store_true", help="the lstm and gru steps instead")
OPTS = ARGS.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # before NumPy loads its BLAS

import time  # noqa: E402
from statistics import median  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_cases import digits, floor_step  # noqa: E402

from service.engine import build_network, build_optimizer  # noqa: E402
from service.engine.losses import LOSSES  # noqa: E402
from service.engine.metrics import ClassificationAccumulator  # noqa: E402

BATCH = 128


def report(title: str, timed: dict, floor: str) -> dict[str, float]:
    """Time ``timed`` (name -> function), alternated, CPU time; print per-step medians
    and shares of "whole step" and the share beyond ``floor`` (the products alone)."""
    times: dict[str, list[float]] = {k: [] for k in timed}
    for _ in range(OPTS.reps):
        for name, fn in timed.items():
            t0 = time.process_time()
            for _ in range(OPTS.steps):
                fn()
            times[name].append((time.process_time() - t0) / OPTS.steps)
    med = {k: median(v) for k, v in times.items()}
    step = med["whole step"]
    print(f"{title}, 1 thread, CPU time, median of {OPTS.reps}")
    for name, t in med.items():
        print(f"  {name:28s} {t * 1e6:8.1f} us  {t / step:6.1%}")
    print(f"  beyond the products: {1 - med[floor] / step:.1%} of the step")
    return med


def lstm_products(t: int, f: int, u: int, n: int, rng: np.random.Generator):
    """The feature-major LSTM's products (service/engine/layers/lstm.py): per step the
    kernel (4U, K) times the step inputs [h; x; 1] (K, N), K = U + F + 1 (without the h rows
    at the first step), per step U (U, 4U) times dz (4U, N), and the gradient of the whole
    kernel, dz (4U, T*N) times the inputs (T*N, K)."""
    k = u + f + 1
    M, Ug = rng.standard_normal((4 * u, k)), rng.standard_normal((u, 4 * u))
    hx, dz = rng.standard_normal((t, k, n)), np.full((t, 4 * u, n), 0.01)
    M, Ug, hx, dz = (a.astype(np.float32) for a in (M, Ug, hx, dz))
    a, carry = np.empty((4 * u, n), np.float32), np.empty((u, n), np.float32)
    G = np.empty((4 * u, k), np.float32)
    dz_all, hx_all = dz.reshape(4 * u, t * n), hx.reshape(k, t * n)  # shapes only

    def products() -> None:
        np.matmul(M[:, u:], hx[0, u:], out=a)
        for s in range(1, t):
            np.matmul(M, hx[s], out=a)
        for s in range(1, t):
            np.matmul(Ug, dz[s], out=carry)
        np.matmul(dz_all, hx_all.T, out=G)

    return products


def recurrent(kind: str) -> None:
    """The same parts for the lstm / gru case of engine_bench (T32 F16 u128, batch 64)."""
    t, f, u, n = 32, 16, 128, 64
    spec = [{"type": kind, "units": u}, {"type": "dense", "units": 10, "activation": "softmax"}]
    net = build_network(spec, (t, f), seed=0)
    opt, loss = build_optimizer({"type": "adam"}), LOSSES["cross_entropy"]()
    params, grads = net.flat_parameters(), net.flat_gradients()
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, t, f)).astype(np.float32), rng.integers(0, 10, n)
    layer, state = net.layers[0], {}
    g = u * layer.gates
    W, U = layer.params["W"], np.ascontiguousarray(layer.params["U"])
    UT = np.ascontiguousarray(U.T)
    xt, xw = X.reshape(t * n, f).copy(), np.empty((t * n, g), np.float32)
    hs, dz = rng.standard_normal((t, n, u)).astype(np.float32), np.empty((t, n, g), np.float32)
    dz[...] = 0.01
    hu, carry = np.empty((n, g), np.float32), np.empty((n, u), np.float32)
    dW, dU = np.empty_like(W), np.empty_like(U)

    def products() -> None:
        """Input projection, one h U per step, one dz U.T per step, dW and dU (gru)."""
        np.matmul(xt, W, out=xw)
        for s in range(t):
            np.matmul(hs[s], U, out=hu)
        for s in range(t):
            np.matmul(dz[s], UT, out=carry)
        np.matmul(xt.T, dz.reshape(t * n, g), out=dW)
        np.matmul(hs.reshape(t * n, u).T, dz.reshape(t * n, g), out=dU)

    if kind == "lstm":
        products = lstm_products(t, f, u, n, rng)

    def forward() -> None:
        state["out"] = net.forward(X, training=True)

    def backward() -> None:
        net.backward(loss.fused_grad(state["out"], y), skip_output_activation=True,
                     need_input_grad=False)  # fmt: skip

    def whole() -> None:
        forward()
        loss.value(state["out"], y)
        backward()
        opt.step(params, grads)

    whole()
    timed = {f"{kind} + dense forward": forward, f"{kind} + dense backward": backward,
             "optimizer (Adam)": lambda: opt.step(params, grads),
             f"{kind} matrix products alone": products, "whole step": whole}  # fmt: skip
    report(
        f"{kind} T{t} F{f} u{u} dense10, batch {n}, Adam", timed, f"{kind} matrix products alone"
    )


def main() -> None:
    if OPTS.recurrent:
        for kind in ("lstm", "gru"):
            recurrent(kind)
        return
    X, y, _, _ = digits(28, 28, 8192)
    X = X.reshape(len(X), 784)
    spec = [{"type": "dense", "units": u, "activation": "relu"} for u in (256, 128)]
    spec.append({"type": "dense", "units": 10, "activation": "softmax"})
    net = build_network(spec, (784,), seed=0)
    opt, loss = build_optimizer({"type": "adam"}), LOSSES["cross_entropy"]()
    params, grads = net.flat_parameters(), net.flat_gradients()
    order = np.random.default_rng(0).permutation(len(X))
    n_batches, at = len(X) // BATCH, [0]
    xb, yb = np.empty((BATCH, 784), np.float32), np.empty(BATCH, np.int64)
    acc = ClassificationAccumulator()
    state: dict[str, np.ndarray] = {}

    def gather() -> None:
        """The next batch of a shuffled epoch (training one batch over and over would
        shrink the gradients into float32 subnormals, which are slow)."""
        rows = order[at[0] * BATCH : (at[0] + 1) * BATCH]
        at[0] = (at[0] + 1) % n_batches
        np.take(X, rows, axis=0, out=xb, mode="clip")  # as Batches.batch: "raise" with
        np.take(y, rows, out=yb, mode="clip")  # out= takes NumPy's slower, buffered path

    def forward() -> None:
        state["out"] = net.forward(xb, training=True)

    def value_and_accuracy() -> None:
        loss.value(state["out"], yb)
        acc.update(state["out"], yb)

    def loss_grad() -> None:
        state["g"] = loss.fused_grad(state["out"], yb)

    def backward() -> None:
        net.backward(state["g"], skip_output_activation=True, need_input_grad=False)

    def optimizer() -> None:
        opt.step(params, grads)

    def whole() -> None:
        for part in (gather, forward, value_and_accuracy, loss_grad, backward, optimizer):
            part()

    parts = {"batch gather": gather, "forward": forward, "loss value + accuracy":
             value_and_accuracy, "loss gradient": loss_grad, "backward": backward,
             "optimizer (Adam)": optimizer}  # fmt: skip
    timed = {**parts, "matrix products alone": floor_step(net, BATCH), "whole step": whole}
    whole()
    report(f"mlp 784-256-128-10, batch {BATCH}, Adam", timed, "matrix products alone")
    # Adam's first moment decays by beta1 = 0.9 per step where the gradient is exactly 0
    # (dead relu units): after some 800 such steps it is a float32 subnormal, and every
    # pass over it slows down several times (NumPy cannot flush subnormals to zero).
    tiny = np.finfo(np.float32).tiny
    slots = opt._slots_for("params", net.flat_params)
    sub = {k: int(np.count_nonzero((a != 0) & (np.abs(a) < tiny))) for k, a in slots.items()}
    print(f"  subnormal optimizer slots after {OPTS.reps * OPTS.steps} steps: {sub}")
    adam_passes(len(net.flat_params))


def adam_passes(n: int) -> None:
    """Each of the passes an Adam step makes over n float32 parameters (as in
    service/engine/optimizers/adam.py), timed alone: where the optimizer's time goes."""
    rng = np.random.default_rng(0)
    p, g, m, v, buf = (rng.standard_normal(n).astype(np.float32) for _ in range(5))
    np.abs(v, out=v)
    passes = {
        "m *= b1 (and v *= b2)": lambda: np.multiply(m, 0.9, out=m),
        "m += g (v += g^2, p -= step)": lambda: np.add(m, g, out=m),
        "g^2": lambda: np.square(g, out=buf),
        "sqrt(v)": lambda: np.sqrt(v, out=buf),
        "+ eps (and * rate)": lambda: np.add(buf, 1e-8, out=buf),
        "m / (sqrt(v) + eps)": lambda: np.divide(m, buf, out=buf),
    }
    times: dict[str, list[float]] = {k: [] for k in passes}
    for _ in range(OPTS.reps):
        for name, fn in passes.items():
            t0 = time.process_time()
            for _ in range(OPTS.steps * 4):
                fn()
            times[name].append((time.process_time() - t0) / (OPTS.steps * 4))
    print(f"  Adam's passes over the {n:,} parameters, each alone (10 per step):")
    for name, t in times.items():
        print(f"    {name:32s} {median(t) * 1e6:7.1f} us")


if __name__ == "__main__":
    main()
