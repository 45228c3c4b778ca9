"""Tests for format_instances (predict endpoint inputs)."""

import numpy as np
import pytest

from service.data import DatasetError, format_instances


def test_valid_instances():
    out = format_instances([[1, 2.5, -3], [0, 0, 1e3]], 3)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, [[1, 2.5, -3], [0, 0, 1000]])


def test_single_feature():
    assert format_instances([[1], [2]], 1).shape == (2, 1)


@pytest.mark.parametrize(
    ("instances", "message", "row"),
    [
        ([], "instances must not be empty", None),
        ("abc", "instances must be a list of rows, got 'abc'", None),
        ([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3]], "instances[2]: expected 4 features, got 3", 2),
        ([[1, "x", 3, 4]], "instances[0][1]: 'x' is not a number", 0),
        ([[1, 2, 3, 4], [True, 2, 3, 4]], "instances[1][0]: true is not a number", 1),
        ([[1, 2, None, 4]], "instances[0][2]: null is not a number", 0),
        ([[1, 2, 3, float("nan")]], "instances[0][3]: nan is not allowed", 0),
        ([[1, 2, 3, float("-inf")]], "instances[0][3]: -inf is not allowed", 0),
        ([[1, 2, 3, 1e300]], "instances[0][3]: 1e+300 is out of range for float32", 0),
        ([5], "instances[0]: expected a list of 4 numbers, got 5", 0),
        ([[1, 2, 3, [4]]], "instances[0][3]: [4] is not a number", 0),
    ],
)
def test_invalid_instances(instances, message, row):
    with pytest.raises(DatasetError) as info:
        format_instances(instances, 4)
    assert info.value.message == message
    assert info.value.row == row
