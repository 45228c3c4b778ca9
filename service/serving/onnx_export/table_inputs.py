"""A table model's inputs in ONNX: one input per column, encoded inside the graph (tables
with categorical columns; an all-numeric table keeps the single ``input``).

Numeric columns are float32 (batch, 1) inputs; a NaN is a gap, filled with the model's
imputation value when it has one. Categorical columns are string (batch, 1) inputs, one-hot
encoded by ai.onnx.ml's OneHotEncoder over the model's levels in order; "" is the missing
level and an unseen string encodes as no level (all zeros), as predict does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto, helper

from service.data.columns import CATEGORICAL
from service.data.encoding import TableEncoding

from .graph import GraphBuilder

ML_DOMAIN = "ai.onnx.ml"
ML_OPSET = 3


def has_categories(encoding: TableEncoding) -> bool:
    """Whether a table model needs one input per column (else one float input does)."""
    return any(c.kind == CATEGORICAL for c in encoding.columns)


def fill_gaps(g: GraphBuilder, encoding: TableEncoding, x: str) -> str:
    """An all-numeric table's (batch, F) input with NaN gaps filled by the imputation
    values (left as NaN where the model has none: predict refuses those)."""
    if all(fill is None for fill in encoding.fill):
        return x
    fill = np.array([np.nan if f is None else f for f in encoding.fill], dtype=np.float32)
    gap = g.op("IsNaN", [x], "columns")
    return g.op("Where", [gap, g.const("columns/impute", fill), x], "columns")


def input_name(name: str, reserved: set[str]) -> str:
    """The graph input for a column: its name, prefixed when it clashes with an output."""
    return f"input/{name}" if name in reserved else name


def table_input(
    g: GraphBuilder, encoding: TableEncoding, reserved: set[str]
) -> tuple[str, list[Any]]:
    """(the encoded (batch, W) float tensor, the graph's input value infos)."""
    parts, inputs = [], []
    for k, column in enumerate(encoding.columns):
        name = input_name(column.name, reserved)
        g.reserve(name)
        scope = f"columns/{column.name}"
        if column.kind == CATEGORICAL:
            inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING, ["batch", 1]))
            levels = ["" if level is None else str(level) for level in column.levels or ()]
            hot = g.op(
                "OneHotEncoder", [name], scope, domain=ML_DOMAIN, cats_strings=levels, zeros=1
            )
            parts.append(g.op("Reshape", [hot, g.ints(f"{scope}/shape", [-1, len(levels)])], scope))
            continue
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", 1]))
        fill = encoding.fill[k]
        if fill is None:
            parts.append(name)
            continue
        gap = g.op("IsNaN", [name], scope)
        value = g.const(f"{scope}/impute", np.float32(fill))
        parts.append(g.op("Where", [gap, value, name], scope))
    return g.op("Concat", parts, "columns", axis=1), inputs
