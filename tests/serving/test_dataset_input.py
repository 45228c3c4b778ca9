"""A data set's stored X in a model's stored form: categorical codes recoded by level text,
columns found by name, numeric-only data sets taken in the model's column order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from service.data.columns import CATEGORICAL, NUMERIC, Column
from service.data.encoding import TableEncoding
from service.data.errors import DatasetError
from service.serving.dataset_input import to_model_form

MODEL = TableEncoding(
    (
        Column("island", CATEGORICAL, 0, 3, ("Biscoe", "Dream", "Torgersen")),
        Column("mass", NUMERIC, 1, 9),
        Column("zip", CATEGORICAL, 0, 2, ("10", "20")),
    ),
    (None, 4000.0, None),
    "mean",
)


def test_codes_are_recoded_by_level_text_and_columns_by_name():
    columns = [
        Column("mass", NUMERIC, 0, 3),
        Column("island", CATEGORICAL, 0, 3, ("Atlantis", "Dream", "Torgersen")),
        Column("zip", NUMERIC, 0, 2),
        Column("extra", NUMERIC, 0, 3),
    ]
    X = np.array([[3000, 0, 10, 1], [3500, 1, 20, 2], [math.nan, 2, 30, 3]], dtype=np.float32)
    out, warnings = to_model_form(X, columns, MODEL)
    assert out[:, 0].tolist() == [-1, 1, 2]  # Atlantis unseen, Dream 1, Torgersen 2
    assert out[:2, 1].tolist() == [3000, 3500] and math.isnan(out[2, 1])
    assert out[:, 2].tolist() == [0, 1, -1]  # 10 -> "10", 20 -> "20", 30 unseen
    assert warnings == [
        {"column": "island", "value": "Atlantis", "rows": 1},
        {"column": "zip", "value": "30", "rows": 1},
    ]
    encoded = MODEL.transform(out)
    assert encoded.shape == (3, 6) and encoded[0, :3].sum() == 0 and encoded[2, 3] == 4000


def test_numeric_only_data_set_is_taken_in_the_model_column_order():
    X = np.array([[1, 4100, 20]], dtype=np.float32)
    out, warnings = to_model_form(X, None, MODEL)
    assert out.tolist() == [[-1, 4100, 1]]  # numbers are level text: 20 -> "20"
    assert warnings == [{"column": "island", "value": "1", "rows": 1}]
    with pytest.raises(DatasetError, match="has 2 features, the model takes 3 columns"):
        to_model_form(X[:, :2], None, MODEL)


def test_a_missing_column_or_text_in_a_numeric_column_is_named():
    columns = [Column("island", CATEGORICAL, 0, 1, ("Dream",)), Column("zip", NUMERIC, 0, 1)]
    with pytest.raises(DatasetError, match="no column 'mass'"):
        to_model_form(np.zeros((1, 2), np.float32), columns, MODEL)
    columns.append(Column("mass", CATEGORICAL, 1, 2, ("4100", "heavy", None)))
    with pytest.raises(DatasetError, match="'mass' is numeric for the model.*'heavy'"):
        to_model_form(np.zeros((1, 3), np.float32), columns, MODEL)
    columns[-1] = Column("mass", CATEGORICAL, 1, 1, ("4100", None))
    out, _ = to_model_form(np.array([[0, 10, 0], [0, 20, 1]], np.float32), columns, MODEL)
    assert out[0, 1] == 4100 and math.isnan(out[1, 1])
