"""The whole ONNX model: input scaling, the layers, and predict's outputs.

Input ``input``: float32 (batch, *input_shape), or int64 token ids when the first layer is
an embedding; a model trained on a table takes one input per column instead (see
table_inputs.py). Outputs as POST /v1/models/{id}/predict answers: ``predictions`` (batch,)
class labels (strings, int64 or float64, as the dataset's labels) or regression values in
the target's units (float32), and for classifiers ``probabilities`` (batch, classes)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

from service import __version__
from service.data import Standardizer, TargetScaler
from service.data.encoding import TableEncoding
from service.engine import Network, build_network

from .graph import GraphBuilder
from .layers import activation_layer, batchnorm, conv2d, dense, embedding, flatten, identity, pool2d
from .recurrent import gru, lstm, simple_rnn
from .source import ExportSource
from .table_inputs import ML_DOMAIN, ML_OPSET, fill_gaps, has_categories, table_input

OPSET = 17
IR_VERSION = 8
"""The IR version of opset 17, so runtimes back to ONNX 1.12 load the file."""
BATCH = "batch"

CONVERTERS = {
    "dense": dense,
    "dropout": identity,
    "activation": activation_layer,
    "flatten": flatten,
    "conv2d": conv2d,
    "maxpool2d": pool2d,
    "avgpool2d": pool2d,
    "batchnorm": batchnorm,
    "embedding": embedding,
    "simple_rnn": simple_rnn,
    "lstm": lstm,
    "gru": gru,
}
"""One converter per engine layer type (keys as LAYER_TYPES)."""


def export_onnx(src: ExportSource) -> bytes:
    """The serialized model, checked with onnx.checker (full check, with shape inference)."""
    model = build_model(src)
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def build_model(src: ExportSource) -> onnx.ModelProto:
    """The ONNX model of ``src`` (opset 17), with its metadata."""
    net = build_network(src.layers, src.input_shape, seed=0)
    net.set_weights(src.weights)
    g = GraphBuilder()
    g.reserve("probabilities", "predictions")
    ids = net.layers[0].type_name == "embedding"
    scaler = Standardizer.from_dict(src.preprocessing["standardizer"])
    encoding = src.preprocessing.get("encoding")
    encoding = TableEncoding.from_dict(encoding) if encoding else None
    if encoding is not None and has_categories(encoding):  # one input per column
        x, inputs = table_input(g, encoding, {"probabilities", "predictions"})
        x = _scaled(g, scaler, x)
    else:
        g.reserve("input")
        inputs = [_value("input", TensorProto.INT64 if ids else TensorProto.FLOAT, src.input_shape)]
        x = "input" if encoding is None else fill_gaps(g, encoding, "input")
        x = x if ids else _scaled(g, scaler, x)
    for i, layer in enumerate(net.layers):
        x = CONVERTERS[layer.type_name](g, layer, x, f"layers.{i}/{layer.type_name}")
    outputs = _outputs(g, net, x, src)
    graph = helper.make_graph(
        g.nodes,
        "backprop_model",
        inputs,
        outputs,
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[
            helper.make_opsetid("", OPSET),
            helper.make_opsetid(ML_DOMAIN, ML_OPSET),
        ],
        ir_version=IR_VERSION,
        producer_name="backprop-service",
        producer_version=__version__,
        doc_string=f"Backprop Service model {src.model_id} ({src.task})",
    )
    helper.set_model_props(model, metadata(src))
    return model


def metadata(src: ExportSource) -> dict[str, str]:
    """metadata_props: ids as text, everything else as JSON."""
    return {
        "model_id": src.model_id,
        "dataset_id": src.dataset_id,
        "job_id": src.job_id,
        "task": src.task,
        "target": json.dumps(src.target),
        "feature_names": json.dumps(src.feature_names),
        "classes": json.dumps(src.classes),
        "input_shape": json.dumps(list(src.input_shape)),
        "job_spec": json.dumps(src.job_spec),
    }


def _value(name: str, elem_type: int, shape: tuple[int, ...] | list[Any]) -> Any:
    """A graph input/output with a dynamic batch dimension first."""
    return helper.make_tensor_value_info(name, elem_type, [BATCH, *shape])


def _scaled(g: GraphBuilder, scaler: Standardizer, x: str) -> str:
    """``(x - mean) / std`` over the last axis, skipped for an identity scaler (token ids
    are never scaled: the job plan never standardises the input of an embedding)."""
    assert scaler.mean is not None and scaler.std is not None
    if not (np.any(scaler.mean != 0) or np.any(scaler.std != 1)):
        return x
    x = g.op("Sub", [x, g.const("input_scaling/mean", scaler.mean)], "input_scaling")
    return g.op("Div", [x, g.const("input_scaling/std", scaler.std)], "input_scaling")


def _outputs(g: GraphBuilder, net: Network, x: str, src: ExportSource) -> list[Any]:
    """Adds the output nodes; returns the graph's output value infos."""
    if src.task == "regression":
        if "target_scaler" in src.preprocessing:
            scaler = TargetScaler.from_dict(src.preprocessing["target_scaler"])
            x = g.op("Mul", [x, g.const("target_scaling/std", scaler.std)], "target_scaling")
            x = g.op("Add", [x, g.const("target_scaling/mean", scaler.mean)], "target_scaling")
        first = g.const("target_scaling/column", 0, np.int64)
        g.op("Gather", [x, first], "predictions", output="predictions", axis=1)
        return [_value("predictions", TensorProto.FLOAT, [])]
    classes = list(src.classes or [])
    if net.output_shape[-1] == 1:  # one sigmoid unit: P(class 1)
        p0 = g.op("Sub", [g.const("probabilities/one", 1.0), x], "probabilities")
        g.op("Concat", [p0, x], "probabilities", output="probabilities", axis=1)
    else:
        g.op("Identity", [x], "probabilities", output="probabilities")
    best = g.op("ArgMax", ["probabilities"], "predictions", axis=1, keepdims=0)
    labels, elem_type = _labels(classes)
    classes_const = g.const("classes", labels, labels.dtype)
    g.op("Gather", [classes_const, best], "predictions", output="predictions", axis=0)
    return [
        _value("probabilities", TensorProto.FLOAT, [len(classes)]),
        _value("predictions", elem_type, []),
    ]


def _labels(classes: list[Any]) -> tuple[np.ndarray, int]:
    """The class labels as a tensor: strings, int64 or float64 as the dataset stored them."""
    if any(isinstance(c, str) for c in classes):
        return np.array([str(c) for c in classes], dtype=object), TensorProto.STRING
    if all(isinstance(c, int) and not isinstance(c, bool) for c in classes):
        return np.array(classes, dtype=np.int64), TensorProto.INT64
    return np.array(classes, dtype=np.float64), TensorProto.DOUBLE
