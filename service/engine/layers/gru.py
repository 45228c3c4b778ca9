"""Gated recurrent unit over (N, T, F), PyTorch's formulation (gate order r, z, n, with the
reset gate applied after the recurrent product)."""

from __future__ import annotations

import numpy as np

from .feature_major import Blocks, FeatureMajor, sigmoid_of_negated
from .recurrent import Alloc


class GRU(FeatureMajor):
    """Per step, with xw = x_t W + b and hu = h_{t-1} U + b_hh split into (r, z, n) blocks::

        r = sigmoid(xw_r + hu_r);  z = sigmoid(xw_z + hu_z)
        n = tanh(xw_n + r * hu_n);  h_t = (1 - z) * n + z * h_{t-1}

    W: (F, 3U), U: (U, 3U), b: (3U,) input bias, b_hh: (3U,) recurrent bias.
    PyTorch equivalence: weight_ih = W.T, weight_hh = U.T, bias_ih = b, bias_hh = b_hh.

    Internally feature-major (see :class:`FeatureMajor`): the time-major input rows [x_t, 1]
    (T*N, F + 1) are projected for all steps at once by ``[W.T | b]`` into (T, 3U, N), blocks
    in the order n, z, r; each step multiplies ``[U.T | b_hh]`` (blocks z, r, n) with the
    states [h; 1] (U + 1, T + 1, N). All gates go through ``exp`` (sigmoid(v) = 1 / (1 +
    exp(-v)), tanh(v) = 2 sigmoid(2v) - 1), the factors -1 and -2 folded into both kernels.
    The backward array holds the blocks n (input side only), z, r, n (recurrent side only), so
    the input-side and recurrent-side gradients are its first and last three blocks."""

    type_name = "gru"
    gates = 3
    recurrent_bias = True

    def _x_blocks(self) -> Blocks:
        """Input-side blocks in the order n, z, r."""
        return self._gate_blocks((2, 1, 0))

    def _h_blocks(self) -> Blocks:
        """Recurrent-side blocks in the order z, r, n."""
        return self._gate_blocks((1, 0, 2))

    def _kernels(self, alloc: Alloc) -> tuple[np.ndarray, np.ndarray]:
        """-[W.T | b] (3U, F + 1), b with the z, r blocks of b_hh added, and -[U.T | b_hh]
        (3U, U + 1) with zero z, r biases; the n rows doubled in both."""
        u = self.units
        b = self.params["b"] + self.params["b_hh"]
        b[2 * u :] = self.params["b"][2 * u :]
        Mx = self._kernel(alloc, "Mx", ("W",), b, self._x_blocks())
        b_hh = self.params["b_hh"].copy()
        b_hh[: 2 * u] = 0
        Mh = self._kernel(alloc, "Mh", ("U",), b_hh, self._h_blocks())
        Mx[:u] *= 2.0
        Mh[2 * u :] *= 2.0
        return Mx, Mh

    def _sequence(self, x: np.ndarray, alloc: Alloc) -> tuple[np.ndarray, np.ndarray, tuple]:
        """(N, T, F) -> (inputs [x, 1] (T*N, F + 1), states [h; 1] (U + 1, T + 1, N) with
        h_0 = 0, saved (gates (T, 3U, N) in the order z, r, n, the recurrent products
        (T, 3U, N)))."""
        n, t, f = x.shape
        u = self.units
        X = alloc("X", (t * n, f + 1))
        X3 = X.reshape(t, n, f + 1)
        X3[..., :f] = x.transpose(1, 0, 2)
        X[:, f] = 1
        H = self._steps(alloc, "H", u + 1, t + 1, n)
        H[:u, 0] = 0
        H[u] = 1
        Mx, Mh = self._kernels(alloc)
        XW = np.matmul(Mx, X3.transpose(0, 2, 1), out=alloc("XW", (t, 3 * u, n)))  # n, z, r
        A, HU, tmp = alloc("A", (t, 3 * u, n)), alloc("HU", (t, 3 * u, n)), alloc("tmp", (u, n))
        with np.errstate(over="ignore"):  # exp(-v) = inf gives the right limit
            for s in range(t):
                hu, a = HU[s], A[s]  # z, r, n
                np.matmul(Mh, H[:, s], out=hu)
                zr = a[: 2 * u]
                np.add(XW[s, u:], hu[: 2 * u], out=zr)
                sigmoid_of_negated(zr)
                z, r, nn = a[:u], a[u : 2 * u], a[2 * u :]
                np.multiply(r, hu[2 * u :], out=nn)
                nn += XW[s, :u]
                sigmoid_of_negated(nn)
                nn *= 2.0
                nn -= 1.0
                # h = n + z * (h_prev - n)
                np.subtract(H[:u, s], nn, out=tmp)
                tmp *= z
                np.add(tmp, nn, out=H[:u, s + 1])
        return X, H, (A, HU)

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        """Fills the gradients with two products; dL/dx (N, T, F) if needed."""
        if self._x is None or self._h is None:
            raise RuntimeError("backward called before forward")
        X, H, u = self._x, self._h, self.units
        kh, t, n = H.shape[0], H.shape[1] - 1, H.shape[2]
        D = self._bptt(grad).reshape(4 * u, t * n)
        Gx = np.matmul(D[: 3 * u], X, out=self.buffer("Gx", (3 * u, X.shape[1])))
        self._scatter(Gx, ("W",), "b", self._x_blocks())
        Hp = H[:, :t].reshape(kh, t * n)
        Gh = np.matmul(D[u:], Hp.T, out=self.buffer("Gh", (3 * u, kh)))
        self._scatter(Gh, ("U",), "b_hh", self._h_blocks())
        if not need_input_grad:
            return None
        Wg = self._gate_major("W_gates", "W", self._x_blocks())
        return self._input_grad(np.matmul(Wg, D[: 3 * u]), t, n)

    def _bptt(self, grad: np.ndarray) -> np.ndarray:
        """dL/d(outputs), (N, T, U) or (N, U) -> (4U, T, N): dL/d of the input-side n
        pre-activation, of the z and r pre-activations and of the recurrent n product."""
        A, HU = self._saved
        H = self._h
        assert H is not None
        t, _, n = A.shape
        u = self.units
        z, r, nn = A[:, :u], A[:, u : 2 * u], A[:, 2 * u :]
        # per step, dL/d(n, z pre-activations) = dL/dh (pn, pz), then dL/d(r pre-activation,
        # recurrent n) = dL/d(n pre-activation) (pr, r); for all steps at once, in the
        # array that each step then turns into its gradients in place (contiguous blocks)
        P = self.buffer("P", (t, 4 * u, n))
        pn, pz, pr, rr = (P[:, i * u : (i + 1) * u] for i in range(4))
        np.subtract(1, z, out=pz)
        np.multiply(nn, nn, out=pn)
        np.subtract(1, pn, out=pn)
        pn *= pz  # (1 - z)(1 - n^2)
        pz *= z
        np.subtract(H[:u, :t].transpose(1, 0, 2), nn, out=rr)
        pz *= rr  # z (1 - z)(h_prev - n)
        np.subtract(r, 1, out=pr)
        pr *= r
        pr *= HU[:, 2 * u :]
        pr *= 0.5  # r (1 - r) hu_n: HU holds -2 hu_n
        rr[...] = r
        Ug = self._gate_major("U_gates", "U", self._h_blocks())
        dh = self._upstream(grad)
        carry, tmp = self.buffer("carry", (u, n)), self.buffer("tmp", (u, n))
        for s in range(t - 1, -1, -1):
            dhs = self._step_grad(dh, s, t, carry)
            nz, rn = P[s, : 2 * u].reshape(2, u, n), P[s, 2 * u :].reshape(2, u, n)
            np.multiply(nz, dhs, out=nz)
            np.multiply(rn, P[s, :u], out=rn)
            if s:
                np.multiply(dhs, z[s], out=tmp)
                np.matmul(Ug, P[s, u:], out=carry)
                carry += tmp
        D = self._steps(self.buffer, "D", 4 * u, t, n)
        D[...] = P.transpose(1, 0, 2)
        return D
