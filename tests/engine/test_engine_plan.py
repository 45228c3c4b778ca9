"""plan_network answers what build_network builds (shapes, parameter counts, the final
activation, the same SpecError) without allocating any weights."""

from __future__ import annotations

import tracemalloc

import pytest
from network_cases import PLAN_CASES

from service.engine import LAYER_TYPES, SpecError, build_network, plan_network
from service.schemas.network import NetworkSpec


def test_cases_cover_every_layer_type():
    assert {spec["type"] for layers, _, _ in PLAN_CASES for spec in layers} == set(LAYER_TYPES)


@pytest.mark.parametrize("layers,input_shape,final_activation", PLAN_CASES)
def test_plan_matches_the_built_network(layers, input_shape, final_activation):
    """Per-layer shapes and counts equal the built layers', on the raw spec and on the
    validated, dumped spec (None for absent options) as the jobs router sees it."""
    net = build_network(layers, input_shape)
    dumped = NetworkSpec.model_validate({"layers": layers}).model_dump()["layers"]
    for specs in (layers, dumped):
        plan = plan_network(specs, input_shape)
        assert plan.input_shape == tuple(input_shape)
        assert [
            (p.index, p.type, p.input_shape, p.output_shape, p.n_params) for p in plan.layers
        ] == [
            (i, layer.type_name, layer.input_shape, layer.output_shape, layer.num_params)
            for i, layer in enumerate(net.layers)
        ]
        assert [p.activation for p in plan.layers] == [
            layer.activation_name for layer in net.layers
        ]
        assert plan.n_params == net.num_params
        assert plan.output_shape == net.output_shape
        assert plan.final_activation == final_activation
        first = layers[0]
        assert plan.token_vocab == (first["input_dim"] if first["type"] == "embedding" else None)


def test_widths_name_the_capped_keys():
    plan = plan_network(PLAN_CASES[3][0], PLAN_CASES[3][1])
    assert [dict(p.widths) for p in plan.layers] == [
        {"output_dim": 4},
        {"units": 5},
        {"units": 3},
        {},
        {"units": 2},
    ]
    assert dict(plan_network(PLAN_CASES[1][0], PLAN_CASES[1][1]).layers[0].widths) == {"filters": 4}


BAD = [
    ([{"type": "conv2d", "filters": 2, "kernel_size": 7}], [6, 6, 1]),
    ([{"type": "dense", "units": 2}, {"type": "conv2d", "filters": 2, "kernel_size": 1}], [4]),
    ([{"type": "maxpool2d", "pool_size": 5}], [4, 4, 1]),
    ([{"type": "flatten"}, {"type": "lstm", "units": 2}], [3, 2]),
    ([{"type": "dense", "units": 2}, {"type": "embedding", "input_dim": 3, "output_dim": 2}], [4]),
    ([{"type": "dense", "units": 2}, {"type": "nope"}], [4]),
    ([{"type": "dense", "units": 2}, {"type": "dense", "units": 0}], [4]),
    ([{"type": "conv2d", "filters": 2, "kernel_size": 9}, {"type": "bad"}], [4, 4, 1]),
    ([], [4]),
    ([{"type": "dense", "units": 2}], [0]),
]


@pytest.mark.parametrize("layers,input_shape", BAD)
def test_plan_raises_what_build_raises(layers, input_shape):
    with pytest.raises(SpecError) as built:
        build_network(layers, input_shape)
    with pytest.raises(SpecError) as planned:
        plan_network(layers, input_shape)
    assert str(planned.value) == str(built.value)
    assert planned.value.layer_index == built.value.layer_index


def test_plan_allocates_no_weights():
    """Planning a spec whose weights would take 8 GB (float32) allocates under 1 MiB."""
    layers = [{"type": "dense", "units": 40_000}, {"type": "dense", "units": 50_000}]
    tracemalloc.start()
    try:
        plan = plan_network(layers, [10_000])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert plan.n_params == 10_000 * 40_000 + 40_000 + 40_000 * 50_000 + 50_000
    assert peak < 2**20
