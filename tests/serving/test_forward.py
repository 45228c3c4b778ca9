"""The predict forward pass: a batch shared among threads gives the outputs one thread
gives, the first bad row is named whichever thread finds it, and BLAS gets its thread
limit back."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from service.data import DatasetError, Standardizer
from service.engine import build_network
from service.serving import forward as forward_module
from service.serving.forward import forward
from service.serving.model import LoadedModel

LAYERS = [
    {"type": "dense", "units": 16, "activation": "relu"},
    {"type": "dense", "units": 3, "activation": "softmax"},
]


def model(n_in: int = 5) -> LoadedModel:
    net = build_network(LAYERS, (n_in,), seed=0)
    rng = np.random.default_rng(1)
    scaler = Standardizer(rng.normal(size=n_in).astype(np.float32), np.full(n_in, 0.5, np.float32))
    return LoadedModel("t", net, scaler, None, ["a", "b", "c"], "classification", (n_in,))


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setattr(forward_module, "THREADS", 2)


def test_shared_rows_give_the_outputs_of_one_thread(two_threads):
    m = model()
    X = np.random.default_rng(0).normal(size=(3000, 5)).astype(np.float32)
    with threadpool_limits(1, "blas"):  # the same BLAS kernels on both sides
        alone = forward(m, X, threads=1)
    shared = forward(m, X, threads=2)
    assert np.array_equal(shared, alone)
    expected = m.network.predict(m.standardizer.transform(X))
    assert np.allclose(shared, expected, rtol=1e-5, atol=1e-7)


def test_a_float64_batch_is_converted_and_checked_on_the_way_in(two_threads):
    m = model()
    X = np.random.default_rng(0).normal(size=(2000, 5))
    assert np.allclose(forward(m, X, checked=False, threads=2), forward(m, X.astype(np.float32)))
    X[1500, 3] = 1e39  # beyond float32
    X[1700, 0] = np.nan
    with pytest.raises(DatasetError) as info:
        forward(m, X, checked=False, threads=2)
    assert info.value.message == "instances[1500][3]: 1e+39 is not a finite float32 number"
    assert info.value.row == 1500


def test_the_first_bad_row_is_named_whichever_thread_finds_it(two_threads):
    m = model()
    X = np.zeros((2000, 5), np.float32)
    X[1800, 1] = np.inf  # the second thread's share
    X[300, 2] = -np.inf  # the first thread's share: it is the one named
    with pytest.raises(DatasetError) as info:
        forward(m, X, checked=False, threads=2)
    assert info.value.message == "instances[300][2]: -inf is not a finite float32 number"


def test_blas_gets_its_thread_limit_back(two_threads):
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    forward(model(), np.ones((1000, 5), np.float32), threads=2)
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert after == before


def test_no_rows_give_no_outputs():
    assert forward(model(), np.zeros((0, 5), np.float32), threads=2).shape == (0, 3)
