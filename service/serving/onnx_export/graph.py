"""A small builder over onnx.helper: named nodes and constants with unique names."""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import NodeProto, TensorProto, helper, numpy_helper


class GraphBuilder:
    """Collects nodes and initializers (constants) of one ONNX graph.

    ``op`` adds a node and returns its (first) output name; ``const`` adds an initializer
    and returns its name. Names are ``<prefix>/<what>`` made unique with a counter, so each
    layer's tensors are easy to find in a viewer (e.g. ``layers.2/gru/W``)."""

    def __init__(self) -> None:
        self.nodes: list[NodeProto] = []
        self.initializers: list[TensorProto] = []
        self._used: set[str] = set()

    def name(self, hint: str) -> str:
        """``hint`` itself if unused, else ``hint_1``, ``hint_2``, ..."""
        name, n = hint, 0
        while name in self._used:
            n += 1
            name = f"{hint}_{n}"
        self._used.add(name)
        return name

    def reserve(self, *names: str) -> None:
        """Mark graph input/output names as taken."""
        self._used.update(names)

    def const(self, hint: str, value: Any, dtype: Any = np.float32) -> str:
        """An initializer holding ``np.asarray(value, dtype)`` (strings: dtype=object)."""
        array = np.asarray(value, dtype=dtype)
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def ints(self, hint: str, values: list[int]) -> str:
        """An int64 vector initializer (shapes, axes, indices)."""
        return self.const(hint, values, np.int64)

    def op(
        self,
        op_type: str,
        inputs: list[str],
        hint: str,
        n_outputs: int = 1,
        output: str | None = None,
        **attrs: Any,
    ) -> str:
        """Add ``op_type(inputs, **attrs)``; returns the first output's name (``output`` if
        given: a graph output). Unused optional inputs are passed as ""."""
        outputs = [output or self.name(hint)]
        outputs += [self.name(f"{hint}_out{i}") for i in range(1, n_outputs)]
        name = self.name(f"{hint}:{op_type}")
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        return outputs[0]

    def ops(self, op_type: str, inputs: list[str], hint: str, n_outputs: int, **attrs) -> list[str]:
        """Like ``op`` for a node whose several outputs are all needed."""
        first = self.op(op_type, inputs, hint, n_outputs, **attrs)
        return [first, *self.nodes[-1].output[1:]]
