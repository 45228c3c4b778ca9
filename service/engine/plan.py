"""Read a JSON layer spec list and plan the network on an input shape, allocating nothing.

:func:`plan_network` answers what :func:`~service.engine.network.build_network` would build
(per-layer shapes, parameter counts, the final activation) and raises the same ``SpecError``
for a spec that cannot build; both read the specs through :func:`read_layers` and ask each
layer's :meth:`~service.engine.layers.Layer.plan` for its shapes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import SpecError
from .layers import LAYER_TYPES, Layer, Shape


@dataclass(frozen=True)
class LayerPlan:
    """One layer on its per-sample input: shapes without the batch dim, trainable
    parameter count, the activation it applies last (``None`` if none) and its capped
    widths by spec key (e.g. {"units": 64})."""

    index: int
    type: str
    input_shape: Shape
    output_shape: Shape
    n_params: int
    activation: str | None
    widths: Mapping[str, int]


@dataclass(frozen=True)
class NetworkPlan:
    """A whole network on a per-sample ``input_shape``.

    ``final_activation`` is the activation applied last ("linear" if none; dropout and
    flatten pass the one before them through). ``token_vocab`` is set when the first layer
    reads integer token ids (embedding): the ids must lie in [0, token_vocab)."""

    input_shape: Shape
    layers: tuple[LayerPlan, ...]
    output_shape: Shape
    n_params: int
    final_activation: str
    token_vocab: int | None


def check_input_shape(input_shape: Any) -> Shape:
    """An int or a sequence of positive ints -> a shape tuple (raises ``SpecError``)."""
    if isinstance(input_shape, int | np.integer) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    try:
        shape = tuple(input_shape)
    except TypeError:
        raise SpecError("input_shape must be a list of positive integers") from None
    if not shape or any(
        isinstance(d, bool) or not isinstance(d, int | np.integer) or d <= 0 for d in shape
    ):
        raise SpecError("input_shape must be a non-empty list of positive integers")
    return tuple(int(d) for d in shape)


def read_layers(specs: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, Layer]]:
    """Check ``specs`` is a non-empty list now, then yield (index, unbuilt layer) one spec
    at a time, so a caller planning or building as it goes reports the first bad layer."""
    if isinstance(specs, str | bytes) or not isinstance(specs, Sequence) or len(specs) == 0:
        raise SpecError("layers must be a non-empty list of layer specs")
    return _read_each(specs)


def _read_each(specs: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, Layer]]:
    for i, spec in enumerate(specs):
        if not isinstance(spec, Mapping):
            raise SpecError("layer spec must be an object", i)
        kind = spec.get("type")
        if not isinstance(kind, str) or kind not in LAYER_TYPES:
            raise SpecError(
                f"unknown layer type {kind!r}; expected one of {', '.join(LAYER_TYPES)}", i
            )
        layer = LAYER_TYPES[kind].from_spec(spec, i)
        if i > 0 and layer.token_vocab is not None:
            raise SpecError(
                "must be the first layer: it takes the integer token ids of the input", i, kind
            )
        yield i, layer


def final_activation(layers: Sequence[Layer]) -> str:
    """The activation applied last (layers that keep the activation, such as dropout and
    flatten, pass the one before them through); "linear" if none."""
    for layer in reversed(layers):
        if layer.activation_name is not None:
            return layer.activation_name
        if not layer.keeps_activation:
            return "linear"
    return "linear"


def plan_network(layer_specs: Sequence[Mapping[str, Any]], input_shape: Any) -> NetworkPlan:
    """Plan the spec list on a per-sample input shape without allocating any weights.

    Raises the ``SpecError`` that ``build_network`` raises for the same spec and shape
    (layer index, the shape it got, what it needs)."""
    shape = first = check_input_shape(input_shape)
    layers: list[Layer] = []
    plans: list[LayerPlan] = []
    for i, layer in read_layers(layer_specs):
        out, n_params = layer.plan(shape, i)
        plans.append(
            LayerPlan(i, layer.type_name, shape, out, n_params, layer.activation_name, layer.widths)
        )
        layers.append(layer)
        shape = out
    return NetworkPlan(
        input_shape=first,
        layers=tuple(plans),
        output_shape=shape,
        n_params=sum(p.n_params for p in plans),
        final_activation=final_activation(layers),
        token_vocab=layers[0].token_vocab,
    )
