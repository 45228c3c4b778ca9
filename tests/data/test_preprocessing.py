"""Tests for encode_target, Standardizer, TargetScaler and train_val_split."""

import json

import numpy as np
import pytest

from service.data import (
    DatasetError,
    EncodedTarget,
    Standardizer,
    TargetScaler,
    encode_target,
    train_val_split,
)

# ---------------------------------------------------------------- encode_target


def test_string_labels_are_classification():
    enc = encode_target(["b", "a", "c", "a"])
    assert isinstance(enc, EncodedTarget)
    assert enc.task == "classification"
    assert enc.classes == ["a", "b", "c"]
    assert enc.y.dtype == np.int64
    np.testing.assert_array_equal(enc.y, [1, 0, 2, 0])


def test_few_integer_labels_are_classification():
    enc = encode_target([3, 1, 3, 1, 2, 2])
    assert enc.task == "classification" and enc.classes == [1, 2, 3]
    np.testing.assert_array_equal(enc.y, [2, 0, 2, 0, 1, 1])


def test_integral_floats_give_int_classes():
    enc = encode_target([1.0, 0.0, 1.0, 0.0])
    assert enc.task == "classification"
    assert enc.classes == [0, 1] and all(type(c) is int for c in enc.classes)
    json.dumps(enc.classes)


def test_numpy_labels():
    enc = encode_target(np.array(["x", "y", "x"]))
    assert enc.classes == ["x", "y"] and type(enc.classes[0]) is str
    enc = encode_target(np.array([0, 1, 1, 0], dtype=np.int32))
    assert enc.classes == [0, 1] and type(enc.classes[0]) is int
    enc = encode_target(np.array([True, False, True, False]))
    assert enc.task == "classification" and enc.classes == [0, 1]
    enc = encode_target(np.array([[0.5], [1.5], [2.25]]))
    assert enc.task == "regression" and enc.y.shape == (3,)


def test_non_integral_floats_are_regression():
    enc = encode_target([0.5, 1.25, 0.5, 1.25])
    assert enc.task == "regression" and enc.classes is None
    assert enc.y.dtype == np.float32
    np.testing.assert_allclose(enc.y, [0.5, 1.25, 0.5, 1.25])


def test_too_many_distinct_integers_is_regression():
    # 60 distinct values > 50
    assert encode_target(list(range(60)) * 3).task == "regression"
    # distinct > N/2
    assert encode_target([1, 2, 3, 4, 5, 5]).task == "regression"
    # exactly N/2 distinct -> classification
    assert encode_target([1, 2, 3, 1, 2, 3]).task == "classification"
    # 50 distinct, each repeated -> classification
    assert encode_target(list(range(50)) * 2).task == "classification"


def test_explicit_task_overrides_inference():
    enc = encode_target([1, 2, 3, 4], task="classification")
    assert enc.task == "classification" and enc.classes == [1, 2, 3, 4]
    enc = encode_target([0, 1, 0, 1], task="regression")
    assert enc.task == "regression" and enc.y.dtype == np.float32
    enc = encode_target([0.5, 1.5, 0.5], task="classification")
    assert enc.classes == [0.5, 1.5]


@pytest.mark.parametrize(
    ("y", "task", "fragment"),
    [
        (["a", "b"], "regression", "regression needs a numeric target"),
        (["1", "2"], "regression", "regression needs a numeric target"),
        (["a", "a", "a"], None, "at least 2 classes"),
        ([1, 1, 1, 1], "classification", "at least 2 classes"),
        ([], None, "no values"),
        ([1, 2], "clustering", "task must be"),
        ([1, "a"], None, "mixes strings and numbers"),
        ([1.0, float("nan")], None, "y[1]: nan is not allowed"),
        ([1.0, float("inf")], "regression", "y[1]: inf is not allowed"),
        ([1, None], None, "y[1]: null is not a valid label"),
        ([True, False], None, "y[0]: true is not a valid label"),
        ([0.5, 1e39], "regression", "out of range for float32"),
    ],
)
def test_encode_target_errors(y, task, fragment):
    with pytest.raises(DatasetError) as info:
        encode_target(y, task)
    assert fragment in info.value.message


# ---------------------------------------------------------------- Standardizer


def test_standardizer_2d_and_constant_feature():
    X = np.array([[1, 10, 5], [3, 20, 5], [5, 30, 5]], dtype=np.float32)
    sc = Standardizer().fit(X)
    Z = sc.transform(X)
    assert Z.dtype == np.float32 and Z.shape == X.shape and Z is not X
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1, atol=1e-6)
    np.testing.assert_array_equal(Z[:, 2], 0)
    assert sc.std[2] == 1
    np.testing.assert_allclose(sc.inverse_transform(Z), X, rtol=1e-6)


def test_standardizer_roundtrip_through_json():
    rng = np.random.default_rng(0)
    X = rng.normal(5, 3, size=(50, 4)).astype(np.float32)
    sc = Standardizer().fit(X)
    d = json.loads(json.dumps(sc.to_dict()))
    sc2 = Standardizer.from_dict(d)
    assert sc2.mean.dtype == np.float32
    np.testing.assert_array_equal(sc2.transform(X), sc.transform(X))


def test_standardizer_images_per_channel():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 255, size=(8, 4, 4, 3)).astype(np.float32)
    X[..., 2] = 7
    sc = Standardizer().fit(X)
    assert sc.mean.shape == (3,) and sc.std[2] == 1
    Z = sc.transform(X)
    assert Z.shape == X.shape and Z.dtype == np.float32
    np.testing.assert_allclose(Z[..., :2].reshape(-1, 2).mean(axis=0), 0, atol=1e-4)


def test_standardizer_errors():
    with pytest.raises(RuntimeError):
        Standardizer().transform(np.ones((2, 2)))
    with pytest.raises(ValueError):
        Standardizer().fit(np.ones(3))
    with pytest.raises(ValueError):
        Standardizer().fit(np.array([[1.0], [np.nan]]))
    sc = Standardizer().fit(np.ones((3, 2)))
    with pytest.raises(DatasetError, match="expected 2 features"):
        sc.transform(np.ones((3, 3)))
    with pytest.raises(ValueError):
        Standardizer.from_dict({"mean": [0.0, 1.0], "std": [1.0]})
    with pytest.raises(ValueError):
        Standardizer.from_dict({"mean": [0.0]})


# ---------------------------------------------------------------- TargetScaler


def test_target_scaler_1d_roundtrip():
    y = np.array([10.0, 20.0, 30.0, 40.0], dtype=np.float32)
    ts = TargetScaler().fit(y)
    z = ts.transform(y)
    assert z.dtype == np.float32 and z.shape == (4,)
    np.testing.assert_allclose(z.mean(), 0, atol=1e-6)
    d = json.loads(json.dumps(ts.to_dict()))
    assert isinstance(d["mean"], float)
    ts2 = TargetScaler.from_dict(d)
    np.testing.assert_allclose(ts2.inverse_transform(z), y, rtol=1e-6)
    # model outputs shaped (N, 1) also invert
    np.testing.assert_allclose(ts2.inverse_transform(z[:, None])[:, 0], y, rtol=1e-6)


def test_target_scaler_2d_and_constant():
    y = np.array([[1.0, 5.0], [3.0, 5.0]])
    ts = TargetScaler().fit(y)
    assert ts.mean.shape == (2,) and ts.std[1] == 1
    ts2 = TargetScaler.from_dict(json.loads(json.dumps(ts.to_dict())))
    np.testing.assert_allclose(ts2.inverse_transform(ts2.transform(y)), y, rtol=1e-6)
    with pytest.raises(RuntimeError):
        TargetScaler().transform(y)


# ---------------------------------------------------------------- train_val_split


def test_split_sizes_disjoint_and_deterministic():
    tr, va = train_val_split(100, 0.2, seed=7)
    assert len(tr) == 80 and len(va) == 20
    assert set(tr).isdisjoint(va) and set(tr) | set(va) == set(range(100))
    tr2, va2 = train_val_split(100, 0.2, seed=7)
    np.testing.assert_array_equal(tr, tr2)
    np.testing.assert_array_equal(va, va2)
    _, va3 = train_val_split(100, 0.2, seed=8)
    assert not np.array_equal(va, va3)


def test_split_zero_and_edge_sizes():
    tr, va = train_val_split(10, 0.0, seed=0)
    assert len(tr) == 10 and len(va) == 0 and va.dtype.kind == "i"
    tr, va = train_val_split(10, 0.01, seed=0)
    assert len(va) == 1 and len(tr) == 9
    tr, va = train_val_split(2, 0.99, seed=0)
    assert len(tr) == 1 and len(va) == 1
    tr, va = train_val_split(1, 0.5, seed=0)
    assert list(tr) == [0] and len(va) == 0


@pytest.mark.parametrize(("n", "frac"), [(0, 0.2), (10, 1.0), (10, -0.1), (10, "0.2")])
def test_split_invalid_arguments(n, frac):
    with pytest.raises(DatasetError):
        train_val_split(n, frac, seed=0)


def test_stratified_split_proportions_and_determinism():
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    tr, va = train_val_split(100, 0.2, seed=3, stratify=labels)
    assert len(va) == 20 and len(tr) == 80
    assert set(tr).isdisjoint(va) and len(set(tr) | set(va)) == 100
    counts = np.bincount(labels[va], minlength=3)
    np.testing.assert_array_equal(counts, [12, 6, 2])
    tr2, va2 = train_val_split(100, 0.2, seed=3, stratify=labels)
    np.testing.assert_array_equal(va, va2)
    np.testing.assert_array_equal(tr, tr2)


def test_stratified_split_singletons_stay_in_train():
    labels = np.array(["a"] * 10 + ["b"] * 10 + ["lonely"])
    tr, va = train_val_split(21, 0.3, seed=0, stratify=labels)
    assert 20 in tr and 20 not in va
    counts = {k: int((labels[va] == k).sum()) for k in ("a", "b")}
    assert counts["a"] == 3 and counts["b"] == 3
    assert len(tr) >= 1


def test_stratified_split_rounds_to_total():
    labels = np.array([0] * 7 + [1] * 7 + [2] * 7)
    _, va = train_val_split(21, 0.5, seed=1, stratify=labels)
    assert len(va) == round(21 * 0.5)
    assert all(3 <= (labels[va] == k).sum() <= 4 for k in range(3))


def test_stratified_split_length_mismatch():
    with pytest.raises(DatasetError, match="stratify"):
        train_val_split(5, 0.2, seed=0, stratify=np.array([0, 1]))
