"""The JSON fast path: numeric rows are read without the validator, to exactly the numbers
the validator reads (float32 of each value's float), and anything unusual goes to the
validator, whose messages name the row and column. Bodies may be bytes or a view."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.data import DatasetError, Standardizer
from service.engine import build_network
from service.serving import predict_http
from service.serving.model import LoadedModel
from service.serving.predict import features
from service.serving.predict_http import JSON, NPY, NPZ, answer, read_features


def classifier(input_shape: tuple[int, ...]) -> LoadedModel:
    layers = [{"type": "flatten"}] if len(input_shape) > 1 else []
    layers.append({"type": "dense", "units": 3, "activation": "softmax"})
    net = build_network(layers, input_shape, seed=0)
    c = input_shape[-1]
    identity = Standardizer(np.zeros(c, np.float32), np.ones(c, np.float32))
    return LoadedModel("t", net, identity, None, ["a", "b", "c"], "classification", input_shape)


def slow(model: LoadedModel, body: bytes) -> np.ndarray:
    """The validator's reading of a body."""
    return features(model, predict_http._instances(body))[0]


NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.integers(min_value=-(2**70), max_value=2**70),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(NUMBERS, min_size=3, max_size=3), min_size=1, max_size=8))
def test_the_fast_path_reads_what_the_validator_reads(rows):
    model = classifier((3,))
    body = json.dumps({"instances": rows}).encode()
    fast = predict_http._fast_json(model, body)
    try:
        expected = slow(model, body)
    except DatasetError:  # beyond float32: the fast path leaves it to the validator
        assert fast is None
        return
    if any(isinstance(v, int) and not -(2**63) <= v < 2**64 for row in rows for v in row):
        assert fast is None  # simdjson reads integers of up to 64 bits; the validator the rest
        return
    assert fast is not None and fast.dtype == np.float32
    assert np.array_equal(fast, expected)
    exact = np.array([[np.float32(float(v)) for v in row] for row in rows], np.float32)
    assert np.array_equal(fast, exact)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet='[]{}",.0123456789e-+ instaceX', max_size=60))
def test_odd_bodies_end_in_the_validators_answer(text):
    model = classifier((2,))
    body = text.encode()
    fast = predict_http._fast_json(model, body)
    try:
        expected = slow(model, body)
    except DatasetError:
        assert fast is None
        return
    assert fast is None or np.array_equal(fast, expected)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"instances": [[1, 2], [3]]}', "instances[1]"),
        (b'{"instances": [[1, 2], [3, "x"]]}', "instances[1][1]"),
        (b'{"instances": [[1, 2], [3, 1e39]]}', "instances[1][1]"),
        (b'{"instances": [[1, 2]], "extra": 1}', "extra"),
        (b'{"instances": []}', "instances"),
    ],
)
def test_what_the_fast_path_leaves_is_named_by_the_validator(body, message):
    model = classifier((2,))
    assert predict_http._fast_json(model, body) is None
    with pytest.raises(DatasetError) as info:
        answer(model, body, JSON, 10**6, 10**6)
    assert info.value.message.startswith(message), info.value.message


def test_numeric_rows_never_reach_the_validator(monkeypatch):
    def validator(*args):
        raise AssertionError("the validator was used")

    monkeypatch.setattr(predict_http, "features", validator)
    flat = classifier((4,))
    rows = np.random.default_rng(0).normal(size=(600, 4)).tolist()
    X, _ = read_features(flat, json.dumps({"instances": rows}).encode(), JSON, 10**6)
    assert np.array_equal(X, np.array(rows, np.float32))
    image = classifier((2, 2, 1))
    nested = [[[[1.5], [2.0]], [[3.0], [4.0]]]]
    X, _ = read_features(image, json.dumps({"instances": nested}).encode(), JSON, 10**6)
    assert X.shape == (1, 2, 2, 1) and X[0, 1, 0, 0] == 3.0


def test_a_body_may_be_a_view_of_a_buffer():
    model = classifier((2,))
    rows = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    json_body = json.dumps({"instances": rows.tolist()}).encode()
    for body, kind in ((json_body, JSON), (npy_of(rows), NPY), (npz_of(rows), NPZ)):
        whole = answer(model, body, kind, 10**6, 10**6)
        buffer = np.frombuffer(b"junk" + body + b"junk", np.uint8)
        view = memoryview(buffer)[4:-4]
        assert answer(model, view, kind, 10**6, 10**6) == whole


def npy_of(X: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, X)
    return buf.getvalue()


def npz_of(X: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, X=X)
    return buf.getvalue()
