"""Forward outputs and gradients of conv2d, pooling, batchnorm, lstm and gru against
PyTorch on the same weights (ours NHWC, torch NCHW). Skips where torch is absent."""

from __future__ import annotations

import numpy as np
import pytest

from service.engine import LAYER_TYPES

torch = pytest.importorskip("torch", reason="PyTorch is not installed (CI installs it)")
F = torch.nn.functional


def _ours(spec, input_shape, seed=0):
    layer = LAYER_TYPES[spec["type"]].from_spec(spec)
    layer.build(input_shape, np.random.default_rng(seed), np.float64)
    return layer


def _t(a, grad=False):
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64, requires_grad=grad)


def _nchw(a):
    return a.permute(0, 3, 1, 2)


def _nhwc(a):
    return a.permute(0, 2, 3, 1)


def _run_ours(layer, x, g, training=True):
    out = layer.forward(x, training=training)
    dx = layer.backward(g)
    return out, dx, {k: v.copy() for k, v in layer.grads.items()}


@pytest.mark.parametrize(
    "kernel,stride,padding,shape",
    [
        (3, 1, "valid", (6, 7, 2)),
        (3, 1, "same", (6, 6, 3)),
        ((2, 3), (2, 1), "valid", (7, 6, 2)),
        (5, 1, "same", (8, 8, 1)),
    ],
)
def test_conv2d_matches_torch(kernel, stride, padding, shape, rng):
    spec = {
        "type": "conv2d",
        "filters": 4,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "activation": "relu",
    }
    layer = _ours(spec, shape)
    layer.params["b"][...] = rng.standard_normal(4)
    x = rng.standard_normal((3, *shape))
    out, dx, grads = _run_ours(layer, x, g := rng.standard_normal((3, *layer.output_shape)))

    xt = _t(x, True)
    W = _t(layer.params["W"].transpose(3, 2, 0, 1), True)  # (kh, kw, C, F) -> (F, C, kh, kw)
    b = _t(layer.params["b"], True)
    yt = _nhwc(torch.relu(F.conv2d(_nchw(xt), W, b, stride=stride, padding=padding)))
    yt.backward(_t(g))
    np.testing.assert_allclose(out, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads["W"], W.grad.numpy().transpose(2, 3, 1, 0), atol=1e-10)
    np.testing.assert_allclose(grads["b"], b.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("kind", ["maxpool2d", "avgpool2d"])
@pytest.mark.parametrize(
    "pool,stride,shape", [(2, 2, (6, 8, 3)), (3, 2, (7, 7, 2)), ((2, 3), 1, (5, 6, 2))]
)
def test_pooling_matches_torch(kind, pool, stride, shape, rng):
    layer = _ours({"type": kind, "pool_size": pool, "stride": stride}, shape)
    x = rng.standard_normal((2, *shape))
    out, dx, _ = _run_ours(layer, x, g := rng.standard_normal((2, *layer.output_shape)))
    xt = _t(x, True)
    fn = F.max_pool2d if kind == "maxpool2d" else F.avg_pool2d
    yt = _nhwc(fn(_nchw(xt), pool, stride))
    yt.backward(_t(g))
    np.testing.assert_allclose(out, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape", [(5,), (4, 4, 3)])
def test_batchnorm_matches_torch(shape, rng):
    layer = _ours({"type": "batchnorm", "momentum": 0.8, "epsilon": 1e-3}, shape)
    c = shape[-1]
    layer.params["gamma"][...] = rng.uniform(0.5, 1.5, c)
    layer.params["beta"][...] = rng.standard_normal(c)
    bn = (torch.nn.BatchNorm1d if len(shape) == 1 else torch.nn.BatchNorm2d)(
        c, eps=1e-3, momentum=0.2, dtype=torch.float64
    )
    with torch.no_grad():
        bn.weight.copy_(_t(layer.params["gamma"]))
        bn.bias.copy_(_t(layer.params["beta"]))
    to_t = (lambda a: a) if len(shape) == 1 else _nchw
    from_t = (lambda a: a) if len(shape) == 1 else _nhwc
    for _ in range(2):  # two training steps: running statistics evolve identically
        x = rng.standard_normal((6, *shape)) * 2 + 1
        out, dx, grads = _run_ours(layer, x, g := rng.standard_normal((6, *shape)))
        xt = _t(x, True)
        bn.zero_grad()
        yt = from_t(bn(to_t(xt)))
        yt.backward(_t(g))
        np.testing.assert_allclose(out, yt.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(grads["gamma"], bn.weight.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(grads["beta"], bn.bias.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(layer.state["running_mean"], bn.running_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.state["running_var"], bn.running_var.numpy(), atol=1e-12)
    bn.eval()
    x = rng.standard_normal((3, *shape))
    np.testing.assert_allclose(
        layer.forward(x), from_t(bn(to_t(_t(x)))).detach().numpy(), atol=1e-10
    )


@pytest.mark.parametrize(
    "kind, tanh_gates", [("lstm", True), ("lstm", False), ("gru", None), ("simple_rnn", None)]
)
@pytest.mark.parametrize("return_sequences", [True, False])
def test_recurrent_matches_torch(kind, tanh_gates, return_sequences, rng, monkeypatch):
    """The LSTM in both gate forms (tanh or exp; the machine picks one by default)."""
    if tanh_gates is not None:
        monkeypatch.setattr(LAYER_TYPES[kind], "tanh_gates", tanh_gates)
    t_steps, feats, units = 6, 3, 5
    layer = _ours(
        {"type": kind, "units": units, "return_sequences": return_sequences}, (t_steps, feats)
    )
    for p in layer.params.values():
        p += 0.1 * rng.standard_normal(p.shape)
    x = rng.standard_normal((4, t_steps, feats))
    g = rng.standard_normal((4, *layer.output_shape))
    out, dx, grads = _run_ours(layer, x, g)

    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "simple_rnn": torch.nn.RNN}[kind]
    mod = cls(feats, units, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mod.weight_ih_l0.copy_(_t(layer.params["W"].T))
        mod.weight_hh_l0.copy_(_t(layer.params["U"].T))
        mod.bias_ih_l0.copy_(_t(layer.params["b"]))
        mod.bias_hh_l0.copy_(_t(layer.params.get("b_hh", np.zeros(mod.bias_hh_l0.shape))))
    xt = _t(x, True)
    seq, _ = mod(xt)
    yt = seq if return_sequences else seq[:, -1]
    yt.backward(_t(g))
    np.testing.assert_allclose(out, yt.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(grads["W"], mod.weight_ih_l0.grad.numpy().T, atol=1e-10)
    np.testing.assert_allclose(grads["U"], mod.weight_hh_l0.grad.numpy().T, atol=1e-10)
    np.testing.assert_allclose(grads["b"], mod.bias_ih_l0.grad.numpy(), atol=1e-10)
    if kind == "gru":
        np.testing.assert_allclose(grads["b_hh"], mod.bias_hh_l0.grad.numpy(), atol=1e-10)


def test_gelu_matches_torch_tanh_approximation(rng):
    from service.engine import ACTIVATIONS

    z = rng.standard_normal((4, 6)) * 3
    zt = _t(z, True)
    yt = F.gelu(zt, approximate="tanh")
    g = rng.standard_normal(z.shape)
    yt.backward(_t(g))
    gelu = ACTIVATIONS["gelu"]
    a = gelu.forward(z)
    np.testing.assert_allclose(a, yt.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(gelu.backward(g, a, z), zt.grad.numpy(), atol=1e-12)


def test_maxpool_ties_go_to_the_first_maximum_like_torch():
    x = np.zeros((1, 4, 4, 2))
    x[0, 1, 1, 0] = x[0, 0, 1, 0] = 1.0  # tie inside one window, zero ties elsewhere
    layer = _ours({"type": "maxpool2d", "pool_size": 2}, (4, 4, 2))
    g = np.arange(1, 9, dtype=np.float64).reshape(1, 2, 2, 2)
    layer.forward(x, training=True)
    dx = layer.backward(g)
    xt = _t(x, True)
    _nhwc(F.max_pool2d(_nchw(xt), 2)).backward(_t(g))
    np.testing.assert_array_equal(dx, xt.grad.numpy())
