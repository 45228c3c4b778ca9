"""Long short-term memory over (N, T, F); gate order i, f, g, o (as PyTorch)."""

from __future__ import annotations

import numpy as np

from .feature_major import TANH_GATES, Blocks, FeatureMajor, sigmoid_of_negated
from .recurrent import Alloc


class LSTM(FeatureMajor):
    """Per step, with z = x_t W + h_{t-1} U + b split into (i, f, g, o) blocks of U units::

        i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o);  g = tanh(z_g)
        c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)

    W: (F, 4U), U: (U, 4U), b: (4U,) with the forget-gate bias initialised to 1.
    PyTorch equivalence: weight_ih = W.T, weight_hh = U.T, bias_ih = b, bias_hh = 0.

    Internally feature-major, so every gate block of a step is one contiguous (U, N) array:
    the step inputs are the columns of ``hx`` (K, T + 1, N) with K = U + F + 1, rows
    [h_{t-1}; x_t; 1], and each step is one product of the kernel ``M`` (4U, K) = [U.T | W.T
    | b] (gate blocks in the order o, i, f, g) with those columns, which also adds x_t W and
    b. All four gates go through one pass of whichever of NumPy's float32 ``tanh`` and
    ``exp`` is faster on the machine (``tanh_gates``, see ``feature_major.TANH_GATES``):
    sigmoid(z) = (1 + tanh(z / 2)) / 2, or sigmoid(z) = 1 / (1 + exp(-z)) and tanh(z) =
    2 sigmoid(2z) - 1, the factors (1/2, or -1 and -2) folded into the rows of ``M`` (exact
    in binary floating point). The gradients of U, W and b are again one product, dz
    (4U, T*N) times the step inputs."""

    type_name = "lstm"
    gates = 4
    #: the gates through tanh (True) or exp; both give the same values up to rounding
    tanh_gates: bool = TANH_GATES

    def _initial_bias(self) -> np.ndarray:
        b = np.zeros(4 * self.units, dtype=self.dtype)
        b[self.units : 2 * self.units] = 1.0
        return b

    def _blocks(self) -> Blocks:
        """Internal gate order o, i, f, g: the sigmoid gates are the first three blocks and
        the gates that dL/dc drives (i, f, g) the last three."""
        return self._gate_blocks((3, 0, 1, 2))

    def _sequence(self, x: np.ndarray, alloc: Alloc) -> tuple[np.ndarray, np.ndarray, tuple]:
        """(N, T, F) -> (step inputs hx (K, T + 1, N) whose first U rows hold the states
        h_0 = 0 .. h_T, the same array, saved (gates (T, 4U, N) in the internal order,
        cells (T + 1, U, N), tanh of the cells (T, U, N)))."""
        n, t, f = x.shape
        u = self.units
        hx = self._steps(alloc, "hx", u + f + 1, t + 1, n)
        hx[:u, 0] = 0
        hx[u : u + f, :t] = x.transpose(2, 1, 0)
        hx[u + f] = 1
        hx[u : u + f, t] = 0  # never read by a product; keeps the array defined
        # tanh form: [U.T | W.T | b] with the sigmoid rows halved; exp form: its negation
        # with the g rows doubled. Either way the g rows are twice the others.
        tanh_gates = self.tanh_gates
        scale = 0.5 if tanh_gates else -1.0
        M = self._kernel(alloc, "M", ("U", "W"), self.params["b"], self._blocks(), scale)
        M[3 * u :] *= 2.0
        A, c, tc = alloc("A", (t, 4 * u, n)), alloc("c", (t + 1, u, n)), alloc("tc", (t, u, n))
        ig = alloc("ig", (u, n))
        c[0] = 0
        with np.errstate(over="ignore"):  # exp(-z) = inf gives the right limit, 0 or -1
            for s in range(t):
                a = A[s]  # (4U, N): o, i, f, g
                if s:
                    np.matmul(M, hx[:, s], out=a)
                else:  # h_0 = 0
                    np.matmul(M[:, u:], hx[u:, 0], out=a)
                o, i, fg, g = a[:u], a[u : 2 * u], a[2 * u : 3 * u], a[3 * u :]
                if tanh_gates:
                    np.tanh(a, out=a)
                    sig = a[: 3 * u]
                    sig *= 0.5
                    sig += 0.5
                else:
                    sigmoid_of_negated(a)
                    g *= 2.0
                    g -= 1.0
                np.multiply(fg, c[s], out=c[s + 1])
                np.multiply(i, g, out=ig)
                c[s + 1] += ig
                np.tanh(c[s + 1], out=tc[s])
                np.multiply(o, tc[s], out=hx[:u, s + 1])
        return hx, hx, (A, c, tc)

    def backward(
        self, grad: np.ndarray, *, skip_activation: bool = False, need_input_grad: bool = True
    ) -> np.ndarray | None:
        """Fills the W, U and b gradients with one product; dL/dx (N, T, F) if needed."""
        if self._h is None:
            raise RuntimeError("backward called before forward")
        hx = self._h
        u, t, n = self.units, hx.shape[1] - 1, hx.shape[2]
        dz = self._bptt(grad)  # (4U, T, N)
        k = hx.shape[0]
        G = np.matmul(
            dz.reshape(4 * u, t * n),
            hx[:, :t].reshape(k, t * n).T,
            out=self.buffer("G", (4 * u, k)),
        )
        self._scatter(G, ("U", "W"), "b", self._blocks())
        if not need_input_grad:
            return None
        Wg = self._gate_major("W_gates", "W", self._blocks())
        return self._input_grad(np.matmul(Wg, dz.reshape(4 * u, t * n)), t, n)

    def _bptt(self, grad: np.ndarray) -> np.ndarray:
        """dL/d(outputs), (N, T, U) or (N, U) -> dL/dz (4U, T, N) in the internal order."""
        A, c, tc = self._saved
        t, u, n = tc.shape
        # dz / d(dL/dc) for i, f, g and dz / d(dL/dh) for o, d c / d(dL/dh), for all steps
        P = self.buffer("P", (t, 4 * u, n))
        sig, ps = A[:, : 3 * u], P[:, : 3 * u]
        np.subtract(1, sig, out=ps)
        ps *= sig  # s (1 - s) of the sigmoid gates
        o, i, f, g = A[:, :u], A[:, u : 2 * u], A[:, 2 * u : 3 * u], A[:, 3 * u :]
        P[:, :u] *= tc
        P[:, u : 2 * u] *= g
        P[:, 2 * u : 3 * u] *= c[:-1]
        pg = P[:, 3 * u :]
        np.multiply(g, g, out=pg)
        np.subtract(1, pg, out=pg)
        pg *= i
        Q = self.buffer("Q", (t, u, n))
        np.multiply(tc, tc, out=Q)
        np.subtract(1, Q, out=Q)
        Q *= o
        dh = self._upstream(grad)
        Ug = self._gate_major("U_gates", "U", self._blocks())
        dc, carry, tmp = (self.buffer(k, (u, n)) for k in ("dc", "carry", "tmp"))
        dc[...] = 0
        for s in range(t - 1, -1, -1):  # P[s] becomes dz_s, contiguous for the passes
            dhs = self._step_grad(dh, s, t, carry)
            np.multiply(dhs, Q[s], out=tmp)
            dc += tmp  # dL/dc_s
            p3 = P[s, u:].reshape(3, u, n)
            np.multiply(p3, dc, out=p3)
            P[s, :u] *= dhs
            if s:
                dc *= f[s]
                np.matmul(Ug, P[s], out=carry)
        dz = self._steps(self.buffer, "dz", 4 * u, t, n)
        dz[...] = P.transpose(1, 0, 2)
        return dz
