"""predict(): rows flat or in the input's shape; inputs the network cannot take are 4xx."""

from __future__ import annotations

import numpy as np
import pytest

from service.data import DatasetError, Standardizer
from service.engine import build_network
from service.serving.model import LoadedModel
from service.serving.predict import predict


def loaded(layers: list[dict], input_shape: tuple[int, ...], classes: list) -> LoadedModel:
    net = build_network(layers, input_shape, seed=0)
    last = input_shape[-1]
    identity = Standardizer(np.zeros(last, np.float32), np.ones(last, np.float32))
    return LoadedModel("t", net, identity, None, classes, "classification", input_shape)


IMAGE = [
    {"type": "conv2d", "filters": 2, "kernel_size": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 2, "activation": "softmax"},
]


def test_images_may_be_sent_flat_or_nested():
    model = loaded(IMAGE, (3, 3, 1), ["a", "b"])
    rng = np.random.default_rng(0)
    images = rng.normal(size=(2, 3, 3, 1)).round(3)
    flat = predict(model, images.reshape(2, -1).tolist())
    nested = predict(model, images.tolist())
    mixed = predict(model, [images[0].tolist(), images[1].reshape(-1).tolist()])
    assert flat == nested == mixed
    assert len(flat["predictions"]) == 2


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        ([[[0.0]] * 3] * 2, "instances[0]: expected 9 features (flat) or nested lists of shape "
         "3 x 3 x 1, got 2"),
        ([[[0.0]] * 3, [[0.0]] * 2, [[0.0]] * 3], "instances[0][1]: expected a list of shape "
         "3 x 1, got 2 items"),
        ([[[0.0]] * 3, [[0.0]] * 3, [[0.0], ["x"], [0.0]]], "instances[0][2][1][0]: 'x' is "
         "not a number"),
    ],
)  # fmt: skip
def test_a_wrong_nested_shape_names_the_place(instance, message):
    model = loaded(IMAGE, (3, 3, 1), ["a", "b"])
    with pytest.raises(DatasetError) as info:
        predict(model, [instance])
    assert info.value.message == message and info.value.row == 0


def test_token_ids_outside_the_vocabulary_are_a_client_error():
    layers = [
        {"type": "embedding", "input_dim": 20, "output_dim": 4},
        {"type": "flatten"},
        {"type": "dense", "units": 2, "activation": "softmax"},
    ]
    model = loaded(layers, (3,), ["a", "b"])
    assert len(predict(model, [[1, 2, 19]])["predictions"]) == 1
    for bad in ([1, 2, 25], [1, -1, 2], [1.5, 2, 3]):
        with pytest.raises(DatasetError) as info:
            predict(model, [bad])
        assert info.value.message.startswith("instances: ")
