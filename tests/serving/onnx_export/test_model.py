"""The exported model's signature, metadata and checks (independent of the layer types)."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto
from onnx_support import random_row, run_onnx

from service.serving.onnx_export.model import OPSET, build_model, export_onnx
from service.serving.onnx_export.source import source_from_row

MLP = [
    {"type": "dense", "units": 5, "activation": "relu"},
    {"type": "dense", "units": 3, "activation": "softmax"},
]


def signature(model: onnx.ModelProto, which: str) -> dict[str, tuple[int, list]]:
    """{name: (element type, dims as ints or dim_param names)} of the inputs or outputs."""
    return {
        v.name: (
            v.type.tensor_type.elem_type,
            [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim],
        )
        for v in getattr(model.graph, which)
    }


def test_metadata_and_signature_of_a_classifier():
    row = random_row(MLP, (4,), classes=["barbera", "barolo", "grignolino"])
    data = export_onnx(source_from_row(row))
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].domain == "" and model.opset_import[0].version == OPSET >= 17
    assert model.producer_name == "backprop-service"
    props = {p.key: p.value for p in model.metadata_props}
    assert props["model_id"] == row.id and props["dataset_id"] == row.dataset_id
    assert props["job_id"] == row.job_id and props["task"] == "classification"
    assert json.loads(props["feature_names"]) == ["f0", "f1", "f2", "f3"]
    assert json.loads(props["classes"]) == ["barbera", "barolo", "grignolino"]
    assert json.loads(props["input_shape"]) == [4]
    spec = json.loads(props["job_spec"])
    assert spec["network"] == {"layers": MLP} and spec["training"] == row.training
    assert spec["dataset_id"] == row.dataset_id
    assert signature(model, "input") == {"input": (TensorProto.FLOAT, ["batch", 4])}
    assert signature(model, "output") == {
        "probabilities": (TensorProto.FLOAT, ["batch", 3]),
        "predictions": (TensorProto.STRING, ["batch"]),
    }


@pytest.mark.parametrize("rows", [1, 300])
def test_the_batch_dimension_is_dynamic(rows):
    data = export_onnx(source_from_row(random_row(MLP, (4,), classes=["a", "b", "c"])))
    out = run_onnx(data, np.ones((rows, 4), dtype=np.float32))
    assert out["probabilities"].shape == (rows, 3) and out["predictions"].shape == (rows,)
    np.testing.assert_allclose(out["probabilities"].sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    ("classes", "elem_type", "dtype"),
    [
        (["no", "yes", "maybe"], TensorProto.STRING, object),
        ([-1, 0, 7], TensorProto.INT64, np.int64),
        ([0.5, 1, 2.25], TensorProto.DOUBLE, np.float64),
    ],
)
def test_labels_keep_the_datasets_type(classes, elem_type, dtype):
    model = build_model(source_from_row(random_row(MLP, (4,), classes=classes)))
    assert signature(model, "output")["predictions"][0] == elem_type
    X = np.random.default_rng(0).normal(0, 3, (50, 4)).astype(np.float32)
    out = run_onnx(model.SerializeToString(), X)
    assert out["predictions"].dtype == dtype
    assert set(out["predictions"].tolist()) <= set(classes)
    assert out["predictions"].tolist() == [classes[i] for i in out["probabilities"].argmax(1)]


def test_regression_has_only_predictions_in_float32():
    layers = [{"type": "dense", "units": 1}]
    model = build_model(source_from_row(random_row(layers, (3,), task="regression")))
    assert signature(model, "output") == {"predictions": (TensorProto.FLOAT, ["batch"])}
    assert json.loads({p.key: p.value for p in model.metadata_props}["classes"]) is None


def test_token_ids_are_an_int64_input_and_pass_unscaled():
    layers = [{"type": "embedding", "input_dim": 9, "output_dim": 2}, {"type": "flatten"}, MLP[1]]
    model = build_model(source_from_row(random_row(layers, (5,), classes=[0, 1, 2], scaled=False)))
    assert signature(model, "input") == {"input": (TensorProto.INT64, ["batch", 5])}
    assert model.graph.node[0].op_type == "Gather"  # no scaling before the lookup


def test_images_keep_their_nhwc_input_shape():
    layers = [{"type": "conv2d", "filters": 2, "kernel_size": 3}, {"type": "flatten"}, MLP[1]]
    model = build_model(source_from_row(random_row(layers, (6, 5, 2), classes=[0, 1, 2])))
    assert signature(model, "input") == {"input": (TensorProto.FLOAT, ["batch", 6, 5, 2])}
    assert signature(model, "output")["probabilities"][1] == ["batch", 3]
