"""Recurrent layers reuse their work arrays across training batches (issue 14): a backward
pass must see the arrays of the forward pass just before it, whatever ran in between
(inference, batches of another size), and give what a freshly built layer gives."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine.layers import LAYER_TYPES


def _layer(kind: str, return_sequences: bool):
    layer = LAYER_TYPES[kind].from_spec(
        {"type": kind, "units": 5, "return_sequences": return_sequences}
    )
    layer.build((6, 3), np.random.default_rng(0), np.float64)
    rng = np.random.default_rng(1)
    for p in layer.params.values():
        p += 0.1 * rng.standard_normal(p.shape)
    return layer


def _step(layer, x, g):
    out = layer.forward(x, training=True)
    dx = layer.backward(g)
    return out.copy(), dx, {k: v.copy() for k, v in layer.grads.items()}


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_reused_buffers_give_the_fresh_layers_results(kind, return_sequences):
    rng = np.random.default_rng(2)
    x_big, x_small = rng.standard_normal((4, 6, 3)), rng.standard_normal((2, 6, 3))
    shape = (6, 5) if return_sequences else (5,)
    g_big, g_small = rng.standard_normal((4, *shape)), rng.standard_normal((2, *shape))
    expected = _step(_layer(kind, return_sequences), x_small, g_small)

    layer = _layer(kind, return_sequences)
    _step(layer, x_big, g_big)  # fills the buffers with another batch size
    _step(layer, x_small, g_small)
    _step(layer, x_big, g_big)
    out = layer.forward(x_small, training=True)
    x_other = rng.standard_normal(x_small.shape)  # same shape: would share the buffers
    inferred = layer.infer(x_other)  # between forward and backward: must not disturb them
    dx = layer.backward(g_small)
    for got, want in zip((out, dx, layer.grads), expected, strict=True):
        if isinstance(want, dict):
            for k in want:
                np.testing.assert_array_equal(got[k], want[k], err_msg=k)
        else:
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(inferred, _layer(kind, return_sequences).infer(x_other))
