"""Job spec -> engine: every schema option reaches fit() through the job plan, the plan
names layers and shapes, and data preparation leaves token ids alone."""

from __future__ import annotations

import numpy as np
import pytest

from service.data import Standardizer
from service.engine import FitData, build_network, fit, plan_network
from service.jobs.plan import DatasetSummary, data_plan, plan_job
from service.jobs.plan_checks import SpecMismatch
from service.jobs.prepare import prepare
from service.schemas.network import LAYER_MODELS, LAYER_TAGS, NetworkSpec
from service.schemas.training import TrainingSpec


def fit_options(training, task):
    """The plan's fit options for `training` (on a network and dataset that suit the task)."""
    layers = [{"type": "dense", "units": 1 if task == "regression" else 2}]
    if task == "classification":
        layers[0]["activation"] = "softmax"
    classes = [0, 1] if task == "classification" else None
    dataset = DatasetSummary(task, (3,), classes, rows=10)
    return plan_job({"network": {"layers": layers}, "training": training}, dataset).fit_options


def check_job_spec(network, training, *, input_shape, task, classes, value_range=None):
    """Plan the job (raising SpecMismatch as POST /v1/jobs would answer 422)."""
    dataset = DatasetSummary(task, tuple(input_shape), classes, rows=10, value_range=value_range)
    plan_job({"network": network, "training": training}, dataset)


def prepare_for(X, y, task, training, network=None):
    """prepare() with the data plan the job plan makes from `training` and `network`."""
    layers = (network or {"layers": [{"type": "dense", "units": 1}]})["layers"]
    return prepare(X, y, data_plan(plan_network(layers, X.shape[1:]), training, task))


SCHEDULES = [
    {"type": "step", "step_size": 2, "gamma": 0.5},
    {"type": "exponential", "gamma": 0.9, "warmup_epochs": 1},
    {"type": "cosine", "warmup_epochs": 1, "min_lr": 0.0001},
    {"type": "warmup", "warmup_epochs": 2},
    {"type": "reduce_on_plateau", "factor": 0.5, "patience": 1},
]
OPTIMIZERS = [
    {"type": "sgd", "momentum": 0.9, "nesterov": True},
    {"type": "adam"},
    {"type": "adamw", "weight_decay": 0.1},
    {"type": "rmsprop"},
    {"type": "adagrad"},
]


@pytest.mark.parametrize("i", range(5))
def test_every_training_option_reaches_fit(i):
    body = {
        "optimizer": OPTIMIZERS[i],
        "lr_schedule": SCHEDULES[i],
        "regularization": {"l1": 0.001, "l2": 0.01},
        "gradient_clip_norm": 1.0,
        "epochs": 3,
        "batch_size": 8,
        "early_stopping": {"patience": 2},
    }
    training = TrainingSpec.model_validate(body).model_dump()
    opts = fit_options(training, "classification")
    assert opts.lr_schedule["type"] == SCHEDULES[i]["type"]
    assert opts.regularization == {"l1": 0.001, "l2": 0.01}
    assert opts.gradient_clip_norm == 1.0
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 4, 4, 1)), rng.integers(0, 2, 32)
    layers = NetworkSpec.model_validate(
        {
            "layers": [
                {"type": "conv2d", "filters": 2, "kernel_size": 3},
                {"type": "batchnorm"},
                {"type": "avgpool2d"},
                {"type": "flatten"},
                {"type": "dense", "units": 2, "activation": "softmax"},
            ]
        }
    ).model_dump()["layers"]
    net = build_network(layers, (4, 4, 1), seed=0)
    res = fit(net, FitData(X, y, X_val=X[:8], y_val=y[:8]), opts)
    assert 1 <= len(res.history) <= 3


def test_old_specs_without_new_keys_still_map():
    old = {"optimizer": {"type": "adam"}, "epochs": 2, "batch_size": 4, "seed": 0}
    opts = fit_options(old, "regression")
    assert opts.loss == "mse" and opts.lr_schedule is None
    assert opts.regularization is None and opts.gradient_clip_norm is None


@pytest.mark.parametrize(
    "change, loc",
    [
        ({"optimizer": {"type": "sgd", "learning_rate": -1.0}}, ("training", "optimizer")),
        ({"gradient_clip_norm": float("inf")}, ("training", "gradient_clip_norm")),
        ({"lr_schedule": {"type": "step", "gamma": 3}}, ("training", "lr_schedule")),
        ({"epochs": 0}, ("training", "epochs")),
    ],
)
def test_options_the_engine_rejects_are_spec_mismatches(change, loc):
    """A stored spec the schema did not check (or checked less strictly) fails in the plan
    with the training field, not in the middle of training."""
    training = {"optimizer": {"type": "adam"}, "epochs": 2, "batch_size": 4, "seed": 0}
    with pytest.raises(SpecMismatch) as info:
        fit_options(training | change, "regression")
    assert info.value.loc == loc
    assert loc[1] in info.value.message


def test_huber_loss_spec_maps_and_trains():
    training = TrainingSpec.model_validate(
        {"loss": {"type": "huber", "delta": 0.5}, "epochs": 2}
    ).model_dump()
    opts = fit_options(training, "regression")
    assert opts.loss == {"type": "huber", "delta": 0.5}
    net = build_network([{"type": "dense", "units": 1}], (3,), seed=0)
    rng = np.random.default_rng(0)
    fit(net, FitData(rng.normal(size=(20, 3)), rng.normal(size=20)), opts)
    check_job_spec(
        {"layers": [{"type": "dense", "units": 1}]},
        training,
        input_shape=[3],
        task="regression",
        classes=None,
    )


def test_every_layer_schema_builds_in_the_engine():
    examples = {m.model_fields["type"].annotation.__args__[0]: m for m in LAYER_MODELS}
    assert set(examples) == LAYER_TAGS
    shapes = {
        "conv2d": (8, 8, 2),
        "maxpool2d": (8, 8, 2),
        "avgpool2d": (8, 8, 2),
        "simple_rnn": (5, 3),
        "lstm": (5, 3),
        "gru": (5, 3),
        "embedding": (5,),
    }
    for tag, model in examples.items():
        example = model.model_config["json_schema_extra"]["examples"][0]
        dumped = model.model_validate(example).model_dump()
        build_network([dumped], shapes.get(tag, (8,)), seed=0)


def _check(layers, input_shape, training=None, classes=(0, 1)):
    training = TrainingSpec.model_validate(training or {}).model_dump()
    network = NetworkSpec.model_validate({"layers": layers}).model_dump()
    check_job_spec(
        network,
        training,
        input_shape=list(input_shape),
        task="classification",
        classes=list(classes),
    )


@pytest.mark.parametrize(
    "layers,shape,training,loc,message",
    [
        (
            [
                {"type": "dense", "units": 64},
                {"type": "dropout", "rate": 0.1},
                {"type": "lstm", "units": 4},
                {"type": "dense", "units": 2, "activation": "softmax"},
            ],
            (64,),
            None,
            ("network", "layers", 2),
            "layer 2 (lstm): expects input (timesteps, features), got (64,)",
        ),
        (
            [
                {"type": "lstm", "units": 4, "return_sequences": True},
                {"type": "dense", "units": 2, "activation": "softmax"},
            ],
            (5, 3),
            None,
            ("network", "layers", 1),
            "layer 1: the output has shape (5, 2) per sample but must be a vector",
        ),
        (
            [
                {"type": "conv2d", "filters": 4, "kernel_size": 3},
                {"type": "flatten"},
                {"type": "dense", "units": 3, "activation": "softmax"},
            ],
            (5, 5, 1),
            None,
            ("network", "layers", 2),
            "the output has 3 units but the dataset has 2 classes",
        ),
        (
            [{"type": "gru", "units": 2}, {"type": "activation", "activation": "relu"}],
            (5, 3),
            None,
            ("network", "layers", 1),
            "cross_entropy needs a softmax output",
        ),
        (
            [
                {"type": "embedding", "input_dim": 10, "output_dim": 4},
                {"type": "gru", "units": 2},
                {"type": "dense", "units": 2, "activation": "softmax"},
            ],
            (6,),
            {"input_scaling": "standardize"},
            ("training", "input_scaling"),
            "input_scaling 'standardize'",
        ),
        (
            [{"type": "dense", "units": 2}, {"type": "embedding", "input_dim": 3, "output_dim": 2}],
            (6,),
            None,
            ("network", "layers", 1),
            "layer 1 (embedding): must be the first layer",
        ),
        (
            [{"type": "dense", "units": 2, "activation": "softmax"}],
            (6,),
            {"loss": "huber"},
            ("training", "loss"),
            "loss 'huber' is for regression",
        ),
    ],
)
def test_check_job_spec_errors(layers, shape, training, loc, message):
    with pytest.raises(SpecMismatch) as info:
        _check(layers, shape, training)
    assert info.value.loc == loc
    assert message in info.value.message


def test_check_job_spec_accepts_deep_networks():
    _check(
        [
            {"type": "embedding", "input_dim": 10, "output_dim": 4},
            {"type": "lstm", "units": 3},
            {"type": "dropout", "rate": 0.1},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ],
        (6,),
    )
    _check(
        [
            {"type": "conv2d", "filters": 2, "kernel_size": 2},
            {"type": "flatten"},
            {"type": "dense", "units": 2, "activation": "softmax"},
            {"type": "dropout", "rate": 0},
        ],
        (4, 4, 3),
    )


def test_prepare_standardises_images_per_channel():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4, 4, 2)).astype(np.float32) * [1, 10] + [0, 5]
    data = prepare_for(X, np.arange(50) % 2, "classification", {"validation_split": 0.2})
    flat = data.X_train.reshape(-1, 2)
    np.testing.assert_allclose(flat.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(flat.std(0), 1, atol=1e-4)
    assert data.preprocessing["scale_inputs"] is True


def test_prepare_leaves_token_ids_alone_and_predict_path_agrees():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 20, (40, 6)).astype(np.float32)
    network = {"layers": [{"type": "embedding", "input_dim": 20, "output_dim": 4}]}
    data = prepare_for(
        X, np.arange(40) % 2, "classification", {"validation_split": 0.25}, network=network
    )
    assert data.preprocessing["scale_inputs"] is False
    assert set(np.unique(data.X_train)) <= set(range(20))
    # what service/serving/predict.py does with the stored preprocessing: an identity
    scaler = Standardizer.from_dict(data.preprocessing["standardizer"])
    np.testing.assert_array_equal(scaler.transform(X), X)
    with pytest.raises(ValueError, match=r"integer token ids in \[0, 9\]"):
        prepare_for(
            X,
            np.arange(40) % 2,
            "classification",
            {},
            network={"layers": [{"type": "embedding", "input_dim": 10, "output_dim": 4}]},
        )
    plain = prepare_for(X, np.arange(40) % 2, "classification", {"input_scaling": "none"})
    np.testing.assert_array_equal(plain.X_train, X)  # no validation split: every row, unscaled
    assert plain.preprocessing["scale_inputs"] is False
