"""Recurrent layers over sequences (N, T, F): shared base and the simple (Elman) RNN.

Internally time-major: the input projection of all steps is one matrix product
``(T*N, F) @ W``; each step then does one ``(N, U) @ U_rec`` product for all gates.
Backpropagation through time accumulates the per-step pre-activation gradients so the
weight gradients are again single matrix products over all steps."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..activations import ACTIVATIONS, Activation
from ..initializers import glorot_uniform
from ..spec import SpecReader
from .base import Layer, Shape


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
    def _sequence(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
        """(N, T, F) -> (time-major input (T*N, F), states (T + 1, N, U) with h[0] = 0,
        the subclass's saved arrays for ``_bptt``)."""
        n, t, f = x.shape
        xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(t * n, f)
        xw = xt @ self.params["W"]
        xw += self.params["b"]
        h, saved = self._run(xw.reshape(t, n, -1))
        return xt, h, saved

    def _output(self, h: np.ndarray) -> np.ndarray:
        """States (T + 1, N, U) -> fresh (N, T, U) or the last state (N, U)."""
        if self.return_sequences:
            return np.ascontiguousarray(h[1:].transpose(1, 0, 2))
        return h[-1].copy()

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, T, F) -> (N, T, U) or (N, U); keeps inputs, states and gates for backward."""
        self._x, self._h, self._saved = self._sequence(x)
        return self._output(self._h)

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Like forward, keeping nothing."""
        return self._output(self._sequence(x)[1])

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        if self._x is None or self._h is None:
            raise RuntimeError("backward called before forward")
        h = self._h
        t, n, u = h.shape[0] - 1, h.shape[1], self.units
        if self.return_sequences:
            dh = np.ascontiguousarray(grad.transpose(1, 0, 2))
        else:
            dh = np.zeros((t, n, u), dtype=grad.dtype)
            dh[-1] = grad
        dxw = self._bptt(dh).reshape(t * n, -1)  # also fills grads other than W and b
        np.matmul(self._x.T, dxw, out=self.grads["W"])
        np.sum(dxw, axis=0, out=self.grads["b"])
        if not need_input_grad:
            return None
        dx = dxw @ self.params["W"].T
        return np.ascontiguousarray(dx.reshape(t, n, -1).transpose(1, 0, 2))

    def _recurrent_grad(self, dpre: np.ndarray) -> None:
        """grads["U"] = sum_t h_{t-1}^T dpre_t as one product over all steps."""
        h = self._h
        assert h is not None
        hp = h[:-1].reshape(-1, self.units)
        np.matmul(hp.T, dpre.reshape(hp.shape[0], -1), out=self.grads["U"])

    def _run(self, xw: np.ndarray) -> tuple[np.ndarray, tuple]:
        """x_t W + b (T, N, G*U), overwritten as scratch -> (states (T + 1, N, U) with
        h[0] = 0, arrays ``_bptt`` reads from ``self._saved``)."""
        raise NotImplementedError

    def _bptt(self, dh: np.ndarray) -> np.ndarray:
        """dL/dh_t (T, N, U) from above -> dL/d(x_t W + b) (T, N, G*U)."""
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

    def _run(self, xw: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Saves the pre-activations (T, N, U) if the activation's backward needs them."""
        t, n, u = xw.shape
        h = np.zeros((t + 1, n, u), dtype=xw.dtype)
        U = self.params["U"]
        for s in range(t):
            z = xw[s]
            z += h[s] @ U
            self.activation.forward(z, out=h[s + 1])
        return h, (xw if self.activation.uses_input else None,)

    def _bptt(self, dh: np.ndarray) -> np.ndarray:
        h, (zs,) = self._h, self._saved
        assert h is not None
        t = dh.shape[0]
        UT = self.params["U"].T
        dz = np.empty_like(dh)
        carry = np.zeros_like(dh[0])
        for s in range(t - 1, -1, -1):
            carry += dh[s]
            z = zs[s] if zs is not None else None
            dz[s] = self.activation.backward(carry, h[s + 1], z)
            carry = dz[s] @ UT
        self._recurrent_grad(dz)
        return dz
