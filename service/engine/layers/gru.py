"""Gated recurrent unit over (N, T, F), PyTorch's formulation (gate order r, z, n, with the
reset gate applied after the recurrent product)."""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid
from .recurrent import Recurrent


class GRU(Recurrent):
    """Per step, with xw = x_t W + b and hu = h_{t-1} U + b_hh split into (r, z, n) blocks::

        r = sigmoid(xw_r + hu_r);  z = sigmoid(xw_z + hu_z)
        n = tanh(xw_n + r * hu_n);  h_t = (1 - z) * n + z * h_{t-1}

    W: (F, 3U), U: (U, 3U), b: (3U,) input bias, b_hh: (3U,) recurrent bias.
    PyTorch equivalence: weight_ih = W.T, weight_hh = U.T, bias_ih = b, bias_hh = b_hh."""

    type_name = "gru"
    gates = 3
    recurrent_bias = True

    def _run(self, xw: np.ndarray) -> tuple[np.ndarray, tuple]:
        """Saves the gate activations (T, N, 3U) and the n-block of h U + b_hh (T, N, U)."""
        t, n, _ = xw.shape
        u = self.units
        U, b_hh = self.params["U"], self.params["b_hh"]
        h = np.zeros((t + 1, n, u), dtype=xw.dtype)
        hun = np.empty((t, n, u), dtype=xw.dtype)
        for s in range(t):
            a = xw[s]  # becomes (r, z, n) in place
            hu = h[s] @ U
            hu += b_hh
            a[:, : 2 * u] += hu[:, : 2 * u]
            sigmoid(a[:, : 2 * u], out=a[:, : 2 * u])
            hun[s] = hu[:, 2 * u :]
            a[:, 2 * u :] += a[:, :u] * hun[s]
            np.tanh(a[:, 2 * u :], out=a[:, 2 * u :])
            z, nn = a[:, u : 2 * u], a[:, 2 * u :]
            # h = n + z * (h_prev - n)
            np.subtract(h[s], nn, out=h[s + 1])
            h[s + 1] *= z
            h[s + 1] += nn
        return h, (xw, hun)

    def _bptt(self, dh: np.ndarray) -> np.ndarray:
        t, n, u = dh.shape
        (A, hun), h = self._saved, self._h
        assert h is not None
        UT = self.params["U"].T
        dxw = np.empty((t, n, 3 * u), dtype=dh.dtype)
        dhu = np.empty((t, n, 3 * u), dtype=dh.dtype)
        dh_next = np.zeros((n, u), dtype=dh.dtype)
        for s in range(t - 1, -1, -1):
            a = A[s]
            r, z, nn = a[:, :u], a[:, u : 2 * u], a[:, 2 * u :]
            dhs = dh[s] + dh_next
            # n pre-activation
            dn = dhs * (1 - z)
            dn *= 1 - nn * nn
            dx, dr = dxw[s], dhu[s]
            dx[:, 2 * u :] = dn
            np.multiply(dn, r, out=dr[:, 2 * u :])
            # r, z pre-activations (shared by the input and recurrent products)
            np.multiply(dn, hun[s], out=dx[:, :u])
            dx[:, :u] *= r * (1 - r)
            np.subtract(h[s], nn, out=dx[:, u : 2 * u])
            dx[:, u : 2 * u] *= dhs
            dx[:, u : 2 * u] *= z * (1 - z)
            dr[:, : 2 * u] = dx[:, : 2 * u]
            dh_next = dr @ UT
            dh_next += dhs * z
        self._recurrent_grad(dhu)
        np.sum(dhu.reshape(t * n, -1), axis=0, out=self.grads["b_hh"])
        return dxw
