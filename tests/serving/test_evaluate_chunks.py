"""evaluate() gives the same answer whatever the chunk size, and on a memory-mapped X."""

from __future__ import annotations

import numpy as np
import pytest

from service.data.columns import CATEGORICAL, NUMERIC, Column
from service.data.encoding import TableEncoding
from service.engine import build_network
from service.jobs.prepare import identity_standardizer
from service.serving.evaluate import EvalData, evaluate
from service.serving.model import LoadedModel

COLUMNS = [Column("x", NUMERIC, 0, 50), Column("colour", CATEGORICAL, 0, 3, ("b", "g", "r"))]


def model_and_data() -> tuple[LoadedModel, EvalData]:
    encoding = TableEncoding(tuple(COLUMNS), (None, None), None)
    net = build_network([{"type": "dense", "units": 3, "activation": "softmax"}], (4,), seed=3)
    model = LoadedModel(
        tenant_id="t",
        network=net,
        standardizer=identity_standardizer(4),
        target_scaler=None,
        classes=["p", "q", "s"],
        task="classification",
        input_shape=(4,),
        encoding=encoding,
    )
    rng = np.random.default_rng(0)
    X = np.stack([rng.normal(size=500), rng.integers(0, 3, 500)], axis=1).astype(np.float32)
    y = rng.integers(0, 3, 500)
    return model, EvalData(X, y, "classification", ["p", "q", "s"], "t", COLUMNS)


def test_chunk_size_does_not_change_the_answer(tmp_path):
    model, data = model_and_data()
    whole = evaluate(model, data, importance=True)
    pieces = evaluate(model, data, importance=True, chunk_rows=7)
    assert pieces["metrics"]["confusion_matrix"] == whole["metrics"]["confusion_matrix"]
    assert pieces["metrics"]["log_loss"] == pytest.approx(whole["metrics"]["log_loss"])
    assert pieces["metrics"]["roc_auc"] == pytest.approx(whole["metrics"]["roc_auc"])
    assert pieces["importance"] == whole["importance"]

    np.save(tmp_path / "X.npy", data.X)
    data.X = np.load(tmp_path / "X.npy", mmap_mode="r")
    mapped = evaluate(model, data, chunk_rows=64)
    assert mapped["metrics"]["confusion_matrix"] == whole["metrics"]["confusion_matrix"]
    assert (
        mapped["rows"] == 500
        and sum(map(sum, mapped["metrics"]["confusion_matrix"]["matrix"])) == 500
    )
