"""Every predict answer is checked: values JSON or float32 cannot hold are a DatasetError
naming the row, an answer over the size limit is DatasetTooLarge, and the JSON written
from the arrays equals the plain-Python answer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from service.data import DatasetError, Standardizer, TargetScaler
from service.data.errors import DatasetTooLarge
from service.engine import build_network
from service.serving.model import LoadedModel
from service.serving.predict import check_answer_size, predict
from service.serving.predict_http import JSON, answer

IDENTITY = {"layers.0.W": np.ones((1, 1), np.float32), "layers.0.b": np.zeros(1, np.float32)}


def regression_near_1e36() -> LoadedModel:
    """y = x scaled back by mean 1e36 and std 1e36: x = 10 is fine, x = 1000 is 1e39."""
    net = build_network([{"type": "dense", "units": 1}], (1,), seed=0)
    net.set_weights(IDENTITY)
    scaler = TargetScaler(np.array([1e36], np.float32), np.array([1e36], np.float32))
    identity = Standardizer(np.zeros(1, np.float32), np.ones(1, np.float32))
    return LoadedModel("t", net, identity, scaler, None, "regression", (1,))


def classifier(units: int, n_in: int = 2) -> LoadedModel:
    layers = [{"type": "dense", "units": units, "activation": "softmax"}]
    net = build_network(layers, (n_in,), seed=0)
    identity = Standardizer(np.zeros(n_in, np.float32), np.ones(n_in, np.float32))
    classes = [f"c{i}" for i in range(units)]
    return LoadedModel("t", net, identity, None, classes, "classification", (n_in,))


def test_a_prediction_beyond_float32_names_its_row():
    model = regression_near_1e36()
    assert predict(model, [[10.0]])["predictions"] == [pytest.approx(1.1e37, rel=1e-5)]
    with pytest.raises(DatasetError) as info:
        predict(model, [[10.0], [1000.0]])
    assert info.value.row == 1
    assert info.value.message.startswith("instances[1]: the predicted value 1.001e+39")


def test_a_non_finite_output_names_its_row():
    model = classifier(3)
    with pytest.raises(DatasetError) as info:
        predict(model, [[0.0, 1.0], [3e38, -3e38]])  # the standardizer overflows float32
    assert info.value.row == 1 and "not a finite number" in info.value.message


def test_scaled_targets_of_float32_values_stay_finite():
    y = np.array([[3.3e38], [-3.3e38], [3.3e38], [-3.0e38]], np.float32)
    scaler = TargetScaler().fit(y)
    scaled = scaler.transform(y)
    assert np.isfinite(scaled).all() and np.abs(scaled).max() < 2
    assert np.allclose(scaler.inverse_transform(scaled), y, rtol=1e-5)


def test_the_answer_size_has_its_own_limit():
    model = classifier(100)
    check_answer_size(model, 100, 100 * 101)
    with pytest.raises(DatasetTooLarge) as info:
        check_answer_size(model, 101, 100 * 101)
    assert "BACKPROP_MAX_PREDICT_VALUES" in info.value.message
    assert "101 rows x 101 outputs" in info.value.message
    body = json.dumps({"instances": [[0.0, 1.0]] * 101}).encode()
    with pytest.raises(DatasetTooLarge):
        answer(model, body, JSON, 100 * 101, 10**6)


def test_the_written_json_equals_the_plain_answer():
    model = classifier(4)
    rows = np.random.default_rng(0).normal(size=(50, 2)).tolist()
    body = json.dumps({"instances": rows}).encode()
    assert json.loads(answer(model, body, JSON, 10**6, 10**6)) == predict(model, rows)
    reg = regression_near_1e36()
    out = json.loads(answer(reg, b'{"instances": [[1], [2.5]]}', JSON, 10**6, 10**6))
    assert out == {"predictions": [pytest.approx(2e36, rel=1e-6), pytest.approx(3.5e36, rel=1e-6)]}
