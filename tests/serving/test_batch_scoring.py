"""BatchScorer: a stored data set's chunk -> CSV rows holding its columns as uploaded and
the same predictions /predict gives for those rows; data sets it cannot read are refused."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from service.data import Standardizer, TargetScaler
from service.data.columns import CATEGORICAL, NUMERIC, Column
from service.data.encoding import TableEncoding
from service.data.errors import DatasetError
from service.engine import build_network
from service.serving.batch_scoring import BatchScorer, ScoringSource, number_text
from service.serving.model import LoadedModel
from service.serving.predict import predict

MODEL_COLUMNS = (
    Column("size", NUMERIC, 1, 10),
    Column("colour", CATEGORICAL, 0, 3, ("blue", "green", "red")),
)


def table_model(task: str = "classification") -> LoadedModel:
    encoding = TableEncoding(MODEL_COLUMNS, (2.5, None), "mean")
    units = 3 if task == "classification" else 1
    activation = "softmax" if task == "classification" else "linear"
    layers = [{"type": "dense", "units": units, "activation": activation}]
    rng = np.random.default_rng(1)
    return LoadedModel(
        tenant_id="t",
        network=build_network(layers, (encoding.width,), seed=3),
        standardizer=Standardizer().fit(rng.normal(size=(20, encoding.width))),
        target_scaler=TargetScaler.from_dict({"mean": 10.0, "std": 2.0})
        if task == "regression"
        else None,
        classes=["a", "b", "c"] if task == "classification" else None,
        task=task,
        input_shape=(encoding.width,),
        encoding=encoding,
        skipped=frozenset({"label"}),
    )


def source(columns: list[Column], task: str = "classification") -> ScoringSource:
    classes = ["a", "b", "c"] if task == "classification" else None
    return ScoringSource(
        (len(columns),), columns, [c.name for c in columns], "label", task, classes
    )


# The data set lists its columns in another order, with its own level codes and a level
# (purple) and a gap (missing level, None) the model's codes do not have.
DATASET_COLUMNS = [
    Column("colour", CATEGORICAL, 1, 3, ("purple", "red", "blue", None)),
    Column("size", NUMERIC, 1, 3),
]
X = np.array([[1, 1.5], [2, np.nan], [0, 3.25], [3, 4.0]], dtype=np.float32)
Y = np.array([0, 2, 1, 0])


def rows_of(text: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.decode())))


def test_chunk_csv_holds_the_columns_as_uploaded_and_predict_s_answers():
    model = table_model()
    scorer = BatchScorer(model, source(DATASET_COLUMNS))
    rows = rows_of(scorer.chunk_csv(X, Y, 0, header=True))
    assert list(rows[0]) == ["colour", "size", "label", "prediction", "p(a)", "p(b)", "p(c)"]
    assert [r["colour"] for r in rows] == ["red", "blue", "purple", ""]
    assert [r["size"] for r in rows] == ["1.5", "", "3.25", "4"]
    assert [r["label"] for r in rows] == ["a", "c", "b", "a"]
    records = [{"colour": r["colour"] or None, "size": float(r["size"] or "nan")} for r in rows]
    records = [{k: (None if v != v else v) for k, v in r.items()} for r in records]
    want = predict(model, records)
    assert [r["prediction"] for r in rows] == want["predictions"]
    got = [[float(r[f"p({c})"]) for c in "abc"] for r in rows]
    assert got == want["probabilities"]
    assert scorer.warnings() == [  # the model saw no gap in colour either
        {"column": "colour", "value": "purple", "rows": 1},
        {"column": "colour", "value": None, "rows": 1},
    ]


def test_later_chunks_have_no_header_and_regression_predicts_values():
    model = table_model("regression")
    scorer = BatchScorer(model, source(DATASET_COLUMNS, "regression"))
    text = scorer.chunk_csv(X[2:], np.array([1.5, 2.0], np.float32), 2, header=False).decode()
    lines = text.splitlines()
    assert len(lines) == 2 and lines[0].startswith("purple,3.25,1.5,")
    assert scorer.header() == ["colour", "size", "label", "prediction"]
    value = float(lines[0].split(",")[3])
    record = {"colour": "purple", "size": 3.25}
    assert value == pytest.approx(predict(model, [record])["predictions"][0], rel=1e-6)


def test_data_sets_the_model_cannot_read_are_refused_by_name():
    model = table_model()
    with pytest.raises(DatasetError, match="no column 'colour'"):
        BatchScorer(model, source([Column("size", NUMERIC, 0, 3)]))
    wordy = [Column("colour", CATEGORICAL, 0, 1, ("red",)), Column("size", CATEGORICAL, 0, 1)]
    wordy[1] = Column("size", CATEGORICAL, 0, 1, ("big",))
    with pytest.raises(DatasetError, match="category 'big'"):
        BatchScorer(model, source(wordy))
    strict = table_model()
    strict.encoding = TableEncoding(MODEL_COLUMNS, (None, None), None)  # no impute
    with pytest.raises(DatasetError, match="'size' has 1 missing values"):
        BatchScorer(strict, source(DATASET_COLUMNS))
    plain = LoadedModel(
        tenant_id="t",
        network=build_network([{"type": "dense", "units": 1}], (3,), seed=0),
        standardizer=Standardizer(np.zeros(3, np.float32), np.ones(3, np.float32)),
        target_scaler=None,
        classes=None,
        task="regression",
        input_shape=(3,),
    )
    with pytest.raises(DatasetError, match=r"shape \[2\], the model takes \[3\]"):
        BatchScorer(plain, ScoringSource((2,), None, ["a", "b"], "y", "regression", None))


def test_number_text_is_the_stored_float32_as_written():
    assert [number_text(np.float32(v)) for v in (7.4, 3.0, -0.5, 1e20, 1065)] == [
        "7.4",
        "3",
        "-0.5",
        "1e+20",
        "1065",
    ]
    assert number_text(np.float32("nan")) == ""
