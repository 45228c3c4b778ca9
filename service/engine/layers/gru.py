"""Gated recurrent unit over (N, T, F), PyTorch's formulation (gate order r, z, n, with the
reset gate applied after the recurrent product)."""

from __future__ import annotations

import numpy as np

from .recurrent import Alloc, Recurrent


class GRU(Recurrent):
    """Per step, with xw = x_t W + b and hu = h_{t-1} U + b_hh split into (r, z, n) blocks::

        r = sigmoid(xw_r + hu_r);  z = sigmoid(xw_z + hu_z)
        n = tanh(xw_n + r * hu_n);  h_t = (1 - z) * n + z * h_{t-1}

    W: (F, 3U), U: (U, 3U), b: (3U,) input bias, b_hh: (3U,) recurrent bias.
    PyTorch equivalence: weight_ih = W.T, weight_hh = U.T, bias_ih = b, bias_hh = b_hh.

    r and z go through one ``tanh`` per step (sigmoid(z) = 0.5 tanh(z / 2) + 0.5, the
    halving folded into the input projection and a copy of U with halved r, z columns)."""

    type_name = "gru"
    gates = 3
    recurrent_bias = True

    def _input_kernel(self, alloc: Alloc) -> tuple[np.ndarray, np.ndarray]:
        """W and b with the r, z columns halved; b also holds the r, z blocks of b_hh."""
        u2 = 2 * self.units
        W, b = alloc("W_scaled", self.params["W"].shape), alloc("b_scaled", self.params["b"].shape)
        W[...] = self.params["W"]
        W[:, :u2] *= 0.5
        np.add(self.params["b"][:u2], self.params["b_hh"][:u2], out=b[:u2])
        b[:u2] *= 0.5
        b[u2:] = self.params["b"][u2:]
        return W, b

    def _run(self, xw: np.ndarray, alloc: Alloc) -> tuple[np.ndarray, tuple]:
        """``xw`` as made by :meth:`_input_kernel`. Saves the gate activations (T, N, 3U)
        and the n-block of h U + b_hh (T, N, U)."""
        t, n, _ = xw.shape
        u = self.units
        U, b_hh = self.params["U"], self.params["b_hh"]
        Uh = alloc("U_scaled", U.shape)
        Uh[:, : 2 * u] = U[:, : 2 * u]
        Uh[:, : 2 * u] *= 0.5
        Uh[:, 2 * u :] = U[:, 2 * u :]
        h, hun = alloc("h", (t + 1, n, u)), alloc("hun", (t, n, u))
        hu, tmp = alloc("hu", (n, 3 * u)), alloc("tmp", (n, u))
        h[0] = 0
        for s in range(t):
            a = xw[s]  # becomes (r, z, n) in place
            np.matmul(h[s], Uh, out=hu)
            rz, nn = a[:, : 2 * u], a[:, 2 * u :]
            rz += hu[:, : 2 * u]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            np.add(hu[:, 2 * u :], b_hh[2 * u :], out=hun[s])
            np.multiply(a[:, :u], hun[s], out=tmp)
            nn += tmp
            np.tanh(nn, out=nn)
            # h = n + z * (h_prev - n)
            np.subtract(h[s], nn, out=h[s + 1])
            h[s + 1] *= a[:, u : 2 * u]
            h[s + 1] += nn
        return h, (xw, hun)

    def _bptt(self, dh: np.ndarray) -> np.ndarray:
        (A, hun), h = self._saved, self._h
        assert h is not None
        t, n, u = hun.shape
        r, z, nn = A[..., :u], A[..., u : 2 * u], A[..., 2 * u :]
        # d pre-activation / d(upstream) of r, z, n for all steps at once:
        # r: hun r (1 - r) (times dn);  z: (h_prev - n) z (1 - z);  n: (1 - z)(1 - n^2)
        P = self.buffer("P", (t, n, 3 * u))
        np.subtract(1, A, out=P)
        pr, pz, pn = P[..., :u], P[..., u : 2 * u], P[..., 2 * u :]
        pr *= r
        pr *= hun
        np.multiply(nn, nn, out=pn)
        np.subtract(1, pn, out=pn)
        pn *= pz  # still 1 - z
        pz *= z
        hmn = self.buffer("h_minus_n", (t, n, u))
        np.subtract(h[:-1], nn, out=hmn)
        pz *= hmn
        UT = self._transposed_recurrent_kernel()
        dxw, dhu = self.buffer("dxw", (t, n, 3 * u)), self.buffer("dhu", (t, n, 3 * u))
        carry, tmp = self.buffer("carry", (n, u)), self.buffer("tmp", (n, u))
        for s in range(t - 1, -1, -1):
            dhs = self._state_grad(dh, s, carry)
            dx, dr = dxw[s], dhu[s]
            dn = dx[:, 2 * u :]
            np.multiply(dhs, pn[s], out=dn)
            np.multiply(dn, r[s], out=dr[:, 2 * u :])
            np.multiply(dn, pr[s], out=dx[:, :u])
            np.multiply(dhs, pz[s], out=dx[:, u : 2 * u])
            dr[:, : 2 * u] = dx[:, : 2 * u]
            if s:
                np.multiply(dhs, z[s], out=tmp)
                np.matmul(dr, UT, out=carry)
                carry += tmp
        self._recurrent_grad(dhu)
        self.column_sums(dhu.reshape(t * n, -1), self.grads["b_hh"])
        return dxw
