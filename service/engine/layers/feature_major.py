"""Shared machinery of the feature-major gated layers (LSTM, GRU): per-step arrays whose
gate blocks are contiguous (U, N) arrays, kernels assembled from the parameters with the
gate blocks reordered, and the weight gradients as one product over all steps."""

from __future__ import annotations

import numpy as np

from .recurrent import Alloc, Recurrent

#: extra floats at the end of each row of the (rows, T*N) work matrices, so that their row
#: stride is not a multiple of a large power of two (BLAS ran such strided steps slower)
_PAD = 16

#: (internal rows, PyTorch columns) pairs of a kernel's gate blocks
Blocks = tuple[tuple[slice, slice], ...]


def _wide_tanh() -> bool:
    """Whether NumPy runs float32 ``tanh`` in its AVX-512 loop (x86-64-v4). Measured on a
    Zen 5 core, (512, 64) gate blocks: that tanh plus two cheap passes 8.6 us, exp-based
    sigmoids 18.1 us; on an earlier machine, whose tanh (2.8 ns per value) was no AVX-512
    loop, tanh took twice exp's time."""
    try:
        from numpy.lib.introspect import opt_func_info
    except ImportError:  # NumPy < 2.0: no dispatch report; the exp form
        return False
    loops = opt_func_info(func_name="^tanh$", signature="float32").get("tanh", {})
    return any(
        "V4" in str(d.get("current", "")) or "AVX512" in str(d.get("current", ""))
        for d in loops.values()
    )


#: the LSTM computes its sigmoid gates as (1 + tanh(v / 2)) / 2 rather than through exp
TANH_GATES = _wide_tanh()


def sigmoid_of_negated(a: np.ndarray) -> np.ndarray:
    """In place, a -> sigmoid(-a) = 1 / (1 + exp(a)); returns ``a``. Callers fold the
    negation into their kernels (and tanh(v) = 2 sigmoid(2v) - 1): where NumPy's float32
    tanh is not its AVX-512 loop, exp plus two cheap passes take about 60 % of its time.
    exp overflowing to inf gives the right limit, 0; callers run it under
    ``np.errstate(over="ignore")``. ``divide`` rather than ``reciprocal``: NumPy runs the
    latter 4 floats wide only (twice the time on an AVX-512 core)."""
    np.exp(a, out=a)
    a += 1.0
    return np.divide(1.0, a, out=a)


class FeatureMajor(Recurrent):
    """Base of the layers that keep states as (U, T + 1, N) and gates as (T, G*U, N)."""

    def _gate_blocks(self, order: tuple[int, ...]) -> Blocks:
        """Blocks whose internal gate i is PyTorch's gate ``order[i]``."""
        u = self.units
        return tuple(
            (slice(i * u, (i + 1) * u), slice(g * u, (g + 1) * u)) for i, g in enumerate(order)
        )

    @staticmethod
    def _steps(alloc: Alloc, name: str, rows: int, t: int, n: int) -> np.ndarray:
        """A (rows, t, n) work array whose (rows, t * n) matrix has a padded row stride."""
        return alloc(name, (rows, t * n + _PAD))[:, : t * n].reshape(rows, t, n)

    def _kernel(
        self,
        alloc: Alloc,
        name: str,
        keys: tuple[str, ...],
        bias: np.ndarray,
        blocks: Blocks,
        scale: float = -1.0,
    ) -> np.ndarray:
        """scale * [params[k].T for k in keys | bias] (G*U, sum of rows + 1), the gate
        blocks reordered by ``blocks``."""
        parts = [self.params[k] for k in keys]
        M = alloc(name, (self.gates * self.units, sum(p.shape[0] for p in parts) + 1))
        for rows, cols in blocks:
            at = 0
            for p in parts:
                M[rows, at : at + p.shape[0]] = p[:, cols].T
                at += p.shape[0]
            M[rows, at] = bias[cols]
        M *= scale
        return M

    def _gate_major(self, name: str, key: str, blocks: Blocks) -> np.ndarray:
        """A C-contiguous copy of params[key] (rows, G*U) with the columns in the internal
        order, for the backward products."""
        p = self.params[key]
        out = self.buffer(name, p.shape)
        for rows, cols in blocks:
            out[:, rows] = p[:, cols]
        return out

    def _scatter(self, G: np.ndarray, keys: tuple[str, ...], bias: str, blocks: Blocks) -> None:
        """Kernel gradient G (G*U, sum of rows + 1), laid out as :meth:`_kernel`'s, into
        grads[k] for k in ``keys`` and grads[bias]."""
        for rows, cols in blocks:
            at = 0
            for k in keys:
                m = self.grads[k].shape[0]
                self.grads[k][:, cols] = G[rows, at : at + m].T
                at += m
            self.grads[bias][cols] = G[rows, at]

    def _output(self, h: np.ndarray) -> np.ndarray:
        """States (K >= U, T + 1, N) -> fresh (N, T, U) or the last state (N, U)."""
        u = self.units
        if self.return_sequences:
            return np.ascontiguousarray(h[:u, 1:].transpose(2, 1, 0))
        return np.ascontiguousarray(h[:u, -1].T)

    def _upstream(self, grad: np.ndarray) -> np.ndarray:
        """dL/d(outputs) (N, T, U) or (N, U) -> a feature-major copy (T, U, N) or (U, N)."""
        seq = self.return_sequences
        dh = self.buffer("dh", (grad.shape[1], self.units, grad.shape[0]) if seq else grad.T.shape)
        dh[...] = grad.transpose(1, 2, 0) if seq else grad.T
        return dh

    def _step_grad(self, dh: np.ndarray, s: int, t: int, carry: np.ndarray) -> np.ndarray:
        """dL/dh_s (U, N): ``dh`` from :meth:`_upstream` plus ``carry``, the gradient through
        h_{s+1} (ignored at the last step t - 1); may be ``carry`` updated in place."""
        if not self.return_sequences:
            return dh if s == t - 1 else carry
        return dh[s] if s == t - 1 else np.add(carry, dh[s], out=carry)

    @staticmethod
    def _input_grad(dx: np.ndarray, t: int, n: int) -> np.ndarray:
        """dL/dx feature-major (F, T*N) -> fresh (N, T, F)."""
        return np.ascontiguousarray(dx.reshape(-1, t, n).transpose(2, 1, 0))
