"""Recurrent layers over sequences (N, T, F): shared base and the simple (Elman) RNN.

Internally time-major: the input projection of all steps is one matrix product
``(T*N, F) @ W``; each step then does one ``(N, U) @ U_rec`` product for all gates.
Backpropagation through time accumulates the per-step pre-activation gradients so the
weight gradients are again single matrix products over all steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ..activations import ACTIVATIONS, Activation
from ..initializers import glorot_uniform
from ..spec import SpecReader
from .base import Layer, Shape

#: ``alloc(name, shape)`` -> an uninitialised work array of the layer's dtype
Alloc = Callable[[str, tuple[int, ...]], np.ndarray]


def orthogonal(rows: int, cols: int, rng: np.random.Generator, dtype) -> np.ndarray:
    """A (rows, cols) matrix with orthonormal rows or columns (QR of a normal matrix)."""
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))
    q = q if rows >= cols else q.T
    return q.astype(dtype)


class Recurrent(Layer):
    """Base: params W (F, G*U) input kernel, U (U, G*U) recurrent kernel, b (G*U,).

    Input (N, T, F) -> (N, T, U) with ``return_sequences`` else the last state (N, U).
    Subclasses set ``gates`` (G), optionally ``recurrent_bias``, and implement ``_run`` /
    ``_bptt`` on time-major arrays; ``_run`` returns what ``_bptt`` needs instead of storing
    it, so :meth:`infer` keeps nothing on the layer."""

    spec_keys: ClassVar[tuple[str, ...]] = ("units", "return_sequences")
    width_keys: ClassVar[tuple[str, ...]] = ("units",)
    gates: ClassVar[int] = 1
    #: a second bias b_hh (G*U,) added to the recurrent product (GRU)
    recurrent_bias: ClassVar[bool] = False

    def __init__(self, units: int, return_sequences: bool = False) -> None:
        super().__init__()
        self.units = units
        self.return_sequences = return_sequences
        self._x: np.ndarray | None = None
        self._h: np.ndarray | None = None
        self._saved: tuple[np.ndarray | None, ...] = ()

    @classmethod
    def _from_reader(cls, r: SpecReader) -> Recurrent:
        return cls(r.positive_int("units"), r.boolean("return_sequences", False))

    def config(self) -> dict[str, Any]:
        return {
            "type": self.type_name,
            "units": self.units,
            "return_sequences": self.return_sequences,
        }

    def plan(self, input_shape: Shape, index: int | None = None) -> tuple[Shape, int]:
        """(T, F) -> (T, units) or (units,); G*U * (F + U + 1) parameters, one more G*U
        bias with ``recurrent_bias``."""
        self._expect_rank(input_shape, "timesteps, features", index)
        t, f = input_shape
        gu = self.gates * self.units
        n_params = gu * (f + self.units + 1 + self.recurrent_bias)
        return ((t, self.units) if self.return_sequences else (self.units,)), n_params

    def _allocate(self, rng: np.random.Generator) -> None:
        f = self.input_shape[1]
        gu = self.gates * self.units
        self.params["W"] = glorot_uniform((f, gu), f, gu, rng, self.dtype)
        self.params["U"] = orthogonal(self.units, gu, rng, self.dtype)
        self.params["b"] = self._initial_bias()
        if self.recurrent_bias:
            self.params["b_hh"] = np.zeros(gu, dtype=self.dtype)
        for k, p in self.params.items():
            self.grads[k] = np.zeros_like(p)

    def _initial_bias(self) -> np.ndarray:
        return np.zeros(self.gates * self.units, dtype=self.dtype)

    # ---- computation --------------------------------------------------------------------
    def _scratch(self, training: bool) -> Alloc:
        """Work-array allocator: the layer's reused buffers for training-mode passes (one
        at a time), fresh arrays otherwise (inference keeps nothing and is thread-safe)."""
        if training:
            return self.buffer
        return lambda name, shape: np.empty(shape, dtype=self.dtype)

    def _sequence(self, x: np.ndarray, alloc: Alloc) -> tuple[np.ndarray, np.ndarray, tuple]:
        """(N, T, F) -> (time-major input (T*N, F), states (T + 1, N, U) with h[0] = 0,
        the subclass's saved arrays for ``_bptt``)."""
        n, t, f = x.shape
        xt = alloc("xt", (t * n, f))
        xt.reshape(t, n, f)[...] = x.transpose(1, 0, 2)
        xw = alloc("xw", (t * n, self.gates * self.units))
        np.matmul(xt, self.params["W"], out=xw)
        xw += self.params["b"]
        h, saved = self._run(xw.reshape(t, n, -1), alloc)
        return xt, h, saved

    def _output(self, h: np.ndarray) -> np.ndarray:
        """States (T + 1, N, U) -> fresh (N, T, U) or the last state (N, U)."""
        if self.return_sequences:
            return np.ascontiguousarray(h[1:].transpose(1, 0, 2))
        return h[-1].copy()

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, T, F) -> (N, T, U) or (N, U); keeps inputs, states and gates for backward."""
        self._x, self._h, self._saved = self._sequence(x, self._scratch(training))
        return self._output(self._h)

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Like forward, keeping nothing."""
        return self._output(self._sequence(x, self._scratch(False))[1])

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        if self._x is None or self._h is None:
            raise RuntimeError("backward called before forward")
        t, n = self._h.shape[0] - 1, self._h.shape[1]
        # (T, N, U) time-major with return_sequences, else the last step's (N, U)
        dh = grad.transpose(1, 0, 2) if self.return_sequences else grad
        dxw = self._bptt(dh).reshape(t * n, -1)  # also fills grads other than W and b
        np.matmul(self._x.T, dxw, out=self.grads["W"])
        self.column_sums(dxw, self.grads["b"])
        if not need_input_grad:
            return None
        dx = dxw @ self.params["W"].T
        return np.ascontiguousarray(dx.reshape(t, n, -1).transpose(1, 0, 2))

    def _state_grad(self, dh: np.ndarray, s: int, carry: np.ndarray) -> np.ndarray:
        """dL/dh_s: the gradient from above at step s (``dh`` as in :meth:`_bptt`) plus
        ``carry``, the one through h_{s+1} (ignored at the last step); may be ``carry``
        itself, updated in place."""
        last = s == self._h.shape[0] - 2  # type: ignore[union-attr]
        if not self.return_sequences:
            return dh if last else carry
        return dh[s] if last else np.add(carry, dh[s], out=carry)

    def _transposed_recurrent_kernel(self) -> np.ndarray:
        """A C-contiguous copy of U.T (G*U, U) in a reused buffer: BLAS runs the backward
        step products faster on it than on the transposed view."""
        UT = self.buffer("U_T", self.params["U"].shape[::-1])
        UT[...] = self.params["U"].T
        return UT

    def _recurrent_grad(self, dpre: np.ndarray) -> None:
        """grads["U"] = sum_t h_{t-1}^T dpre_t as one product over all steps."""
        h = self._h
        assert h is not None
        hp = h[:-1].reshape(-1, self.units)
        np.matmul(hp.T, dpre.reshape(hp.shape[0], -1), out=self.grads["U"])

    def _run(self, xw: np.ndarray, alloc: Alloc) -> tuple[np.ndarray, tuple]:
        """x_t W + b (T, N, G*U), overwritten as scratch -> (states (T + 1, N, U) with
        h[0] = 0, arrays ``_bptt`` reads from ``self._saved``); work arrays from
        ``alloc(name, shape)``."""
        raise NotImplementedError

    def _bptt(self, dh: np.ndarray) -> np.ndarray:
        """dL/dh_t from above, (T, N, U) with ``return_sequences`` else the last step's
        (N, U) -> dL/d(x_t W + b) (T, N, G*U)."""
        raise NotImplementedError


class SimpleRNN(Recurrent):
    """``h_t = act(x_t W + h_{t-1} U + b)`` (tanh by default)."""

    type_name = "simple_rnn"
    spec_keys = ("units", "return_sequences", "activation")

    def __init__(self, units: int, return_sequences: bool = False, activation: str = "tanh"):
        super().__init__(units, return_sequences)
        self.activation: Activation = ACTIVATIONS[activation]

    @classmethod
    def _from_reader(cls, r: SpecReader) -> SimpleRNN:
        act = r.choice("activation", [a for a in ACTIVATIONS if a != "softmax"], default="tanh")
        return cls(r.positive_int("units"), r.boolean("return_sequences", False), act)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "activation": self.activation.name}

    def _run(self, xw: np.ndarray, alloc: Alloc) -> tuple[np.ndarray, tuple]:
        """Saves the pre-activations (T, N, U) if the activation's backward needs them."""
        t, n, u = xw.shape
        h = alloc("h", (t + 1, n, u))
        h[0] = 0
        U = self.params["U"]
        for s in range(t):
            z = xw[s]
            z += h[s] @ U
            self.activation.forward(z, out=h[s + 1])
        return h, (xw if self.activation.uses_input else None,)

    def _bptt(self, dh: np.ndarray) -> np.ndarray:
        h, (zs,) = self._h, self._saved
        assert h is not None
        t, n, u = h.shape[0] - 1, h.shape[1], self.units
        UT = self._transposed_recurrent_kernel()
        dz = self.buffer("dz", (t, n, u))
        carry = self.buffer("carry", (n, u))
        for s in range(t - 1, -1, -1):
            dhs = self._state_grad(dh, s, carry)
            z = zs[s] if zs is not None else None
            dz[s] = self.activation.backward(dhs, h[s + 1], z)
            np.matmul(dz[s], UT, out=carry)
        self._recurrent_grad(dz)
        return dz
