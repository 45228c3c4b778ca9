"""Long short-term memory over (N, T, F); gate order i, f, g, o (as PyTorch)."""

from __future__ import annotations

import numpy as np

from .recurrent import Alloc, Recurrent


class LSTM(Recurrent):
    """Per step, with z = x_t W + h_{t-1} U + b split into (i, f, g, o) blocks of U units::

        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_g)
        c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)

    W: (F, 4U), U: (U, 4U), b: (4U,) with the forget-gate bias initialised to 1.
    PyTorch equivalence: weight_ih = W.T, weight_hh = U.T, bias_ih = b, bias_hh = 0.

    All four gates go through one ``tanh`` per step: sigmoid(z) = 0.5 tanh(z / 2) + 0.5,
    with the halving folded into the input projection and a halved copy of U (exact in
    binary floating point), then one scale and one shift (:attr:`_scale`, :attr:`_shift`)."""

    type_name = "lstm"
    gates = 4

    def _initial_bias(self) -> np.ndarray:
        b = np.zeros(4 * self.units, dtype=self.dtype)
        b[self.units : 2 * self.units] = 1.0
        return b

    def _allocate(self, rng: np.random.Generator) -> None:
        super()._allocate(rng)
        u = self.units
        self._scale = np.full(4 * u, 0.5, dtype=self.dtype)  # 1 on the tanh gate g
        self._scale[2 * u : 3 * u] = 1.0
        self._shift = np.where(self._scale == 1.0, 0.0, 0.5).astype(self.dtype)

    def _input_kernel(self, alloc: Alloc) -> tuple[np.ndarray, np.ndarray]:
        """W and b with the sigmoid gates' columns halved."""
        W, b = alloc("W_scaled", self.params["W"].shape), alloc("b_scaled", self.params["b"].shape)
        np.multiply(self.params["W"], self._scale, out=W)
        np.multiply(self.params["b"], self._scale, out=b)
        return W, b

    def _run(self, xw: np.ndarray, alloc: Alloc) -> tuple[np.ndarray, tuple]:
        """``xw`` holds z / 2 in the sigmoid gates' columns (:meth:`_input_kernel`). Saves
        the gate activations (T, N, 4U), cells (T + 1, N, U) and tanh(c) (T, N, U)."""
        t, n, _ = xw.shape
        u, scale, shift = self.units, self._scale, self._shift
        Uh = alloc("U_scaled", self.params["U"].shape)
        np.multiply(self.params["U"], scale, out=Uh)
        h, c, tc = alloc("h", (t + 1, n, u)), alloc("c", (t + 1, n, u)), alloc("tc", (t, n, u))
        hu, ig = alloc("hu", (n, 4 * u)), alloc("ig", (n, u))
        h[0] = 0
        c[0] = 0
        for s in range(t):
            a = xw[s]  # becomes the gate activations in place
            if s:  # h[0] = 0
                np.matmul(h[s], Uh, out=hu)
                a += hu
            np.tanh(a, out=a)
            a *= scale
            a += shift
            i, f, g, o = a[:, :u], a[:, u : 2 * u], a[:, 2 * u : 3 * u], a[:, 3 * u :]
            np.multiply(f, c[s], out=c[s + 1])
            np.multiply(i, g, out=ig)
            c[s + 1] += ig
            np.tanh(c[s + 1], out=tc[s])
            np.multiply(o, tc[s], out=h[s + 1])
        return h, (xw, c, tc)

    def _bptt(self, dh: np.ndarray) -> np.ndarray:
        A, c, tc = self._saved
        t, n, u = tc.shape
        # d z / d(dc) for i, f, g and d z / d(dh) for o, and d c / d(dh), for all steps at once
        P = self.buffer("P", (t, n, 4 * u))
        np.subtract(1, A, out=P)
        P *= A  # s (1 - s) of the sigmoid gates
        i, f, g = A[..., :u], A[..., u : 2 * u], A[..., 2 * u : 3 * u]
        P[..., :u] *= g
        P[..., u : 2 * u] *= c[:-1]
        P[..., 3 * u :] *= tc
        pg = P[..., 2 * u : 3 * u]
        np.multiply(g, g, out=pg)
        np.subtract(1, pg, out=pg)
        pg *= i
        Q = self.buffer("Q", (t, n, u))
        np.multiply(tc, tc, out=Q)
        np.subtract(1, Q, out=Q)
        Q *= A[..., 3 * u :]
        UT = self._transposed_recurrent_kernel()
        dz = self.buffer("dz", (t, n, 4 * u))
        dc, carry, tmp = (
            self.buffer("dc", (n, u)),
            self.buffer("carry", (n, u)),
            self.buffer("tmp", (n, u)),
        )
        dc[...] = 0
        P4, dz4 = P.reshape(t, n, 4, u), dz.reshape(t, n, 4, u)
        for s in range(t - 1, -1, -1):
            dhs = self._state_grad(dh, s, carry)
            np.multiply(dhs, Q[s], out=tmp)
            dc += tmp  # dL/dc_s
            np.multiply(P4[s, :, :3], dc[:, None, :], out=dz4[s, :, :3])
            np.multiply(P4[s, :, 3], dhs, out=dz4[s, :, 3])
            if s:
                dc *= f[s]
                np.matmul(dz[s], UT, out=carry)
        self._recurrent_grad(dz)
        return dz
