"""Long short-term memory over (N, T, F); gate order i, f, g, o (as PyTorch)."""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from .recurrent import Recurrent


class LSTM(Recurrent):
    """Per step, with z = x_t W + h_{t-1} U + b split into (i, f, g, o) blocks of U units::

        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_g)
        c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)

    W: (F, 4U), U: (U, 4U), b: (4U,) with the forget-gate bias initialised to 1.
    PyTorch equivalence: weight_ih = W.T, weight_hh = U.T, bias_ih = b, bias_hh = 0."""

    type_name = "lstm"
    gates = 4

    def _initial_bias(self) -> np.ndarray:
        b = np.zeros(4 * self.units, dtype=self.dtype)
        b[self.units : 2 * self.units] = 1.0
        return b

    def _run(self, xw: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Saves the gate activations (T, N, 4U), cells (T + 1, N, U) and tanh(c) (T, N, U)."""
        t, n, _ = xw.shape
        u = self.units
        U = self.params["U"]
        h = np.zeros((t + 1, n, u), dtype=xw.dtype)
        c = np.zeros((t + 1, n, u), dtype=xw.dtype)
        tc = np.empty((t, n, u), dtype=xw.dtype)
        for s in range(t):
            a = xw[s]  # becomes the gate activations in place
            a += h[s] @ U
            sigmoid(a[:, : 2 * u], out=a[:, : 2 * u])
            np.tanh(a[:, 2 * u : 3 * u], out=a[:, 2 * u : 3 * u])
            sigmoid(a[:, 3 * u :], out=a[:, 3 * u :])
            i, f, g, o = a[:, :u], a[:, u : 2 * u], a[:, 2 * u : 3 * u], a[:, 3 * u :]
            np.multiply(f, c[s], out=c[s + 1])
            c[s + 1] += i * g
            np.tanh(c[s + 1], out=tc[s])
            np.multiply(o, tc[s], out=h[s + 1])
        return h, (xw, c, tc)

    def _bptt(self, dh: np.ndarray) -> np.ndarray:
        t, n, u = dh.shape
        A, c, tc = self._saved
        UT = self.params["U"].T
        dz = np.empty((t, n, 4 * u), dtype=dh.dtype)
        dh_next = np.zeros((n, u), dtype=dh.dtype)
        dc = np.zeros((n, u), dtype=dh.dtype)
        for s in range(t - 1, -1, -1):
            a = A[s]
            i, f, g, o = a[:, :u], a[:, u : 2 * u], a[:, 2 * u : 3 * u], a[:, 3 * u :]
            dhs = dh[s] + dh_next
            # dc = dh * o * (1 - tanh(c)^2) + dc_next
            dtc = dhs * o
            dtc *= 1 - tc[s] * tc[s]
            dc += dtc
            d = dz[s]
            np.multiply(dc, g, out=d[:, :u])
            d[:, :u] *= i * (1 - i)
            np.multiply(dc, c[s], out=d[:, u : 2 * u])
            d[:, u : 2 * u] *= f * (1 - f)
            np.multiply(dc, i, out=d[:, 2 * u : 3 * u])
            d[:, 2 * u : 3 * u] *= 1 - g * g
            np.multiply(dhs, tc[s], out=d[:, 3 * u :])
            d[:, 3 * u :] *= o * (1 - o)
            dc *= f
            dh_next = d @ UT
        self._recurrent_grad(dz)
        return dz
