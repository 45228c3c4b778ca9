"""FitOptions: checked when constructed, specs copied, defaults for stored training specs,
and the task's default loss."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from service.engine import (
    DEFAULT_LOSS,
    FitOptions,
    SpecError,
    build_optimizer,
    resolve_loss,
)

BASE = {"optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": 3, "batch_size": 4}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"loss": "hinge"}, "hinge"),
        ({"optimizer": {"type": "nope"}}, "optimizer"),
        ({"optimizer": {"type": "sgd", "learning_rate": -1}}, "learning_rate"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.0}, "epochs"),
        ({"batch_size": True}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"start_epoch": -1}, "start_epoch"),
        ({"task": "ranking"}, "task"),
        ({"shuffle": "yes"}, "shuffle"),
        ({"keep_epoch_weights": 1}, "keep_epoch_weights"),
        ({"early_stopping": {"patience": 0}}, "patience"),
        ({"regularization": {"l3": 0.1}}, "regularization"),
        ({"gradient_clip_norm": math.inf}, "gradient_clip_norm"),
        ({"lr_schedule": {"type": "step", "gamma": 2}}, "lr_schedule"),
        ({"checkpoint_seconds": -1}, "checkpoint_seconds"),
        ({"checkpoint_seconds": math.nan}, "checkpoint_seconds"),
        ({"target_scale": 0.0}, "target_scale"),
        ({"target_scale": [1.0, math.inf]}, "target_scale"),
        ({"target_scale": "big"}, "target_scale"),
    ],
)
def test_bad_options_fail_when_constructed(kwargs, message):
    with pytest.raises(SpecError, match=message):
        FitOptions(**(BASE | kwargs))


def test_options_are_normalised_copied_and_frozen():
    schedule = {"type": "exponential", "gamma": 0.5}
    options = FitOptions(
        **BASE,
        task="regression",
        seed=np.int64(3),
        lr_schedule=schedule,
        gradient_clip_norm=2,
        target_scale=np.array([2.0, 0.5], dtype=np.float32),
    )
    assert options.loss == DEFAULT_LOSS["regression"] == "mse"
    assert options.seed == 3 and type(options.seed) is int
    assert options.gradient_clip_norm == 2.0 and options.target_scale == (2.0, 0.5)
    schedule["gamma"] = 5.0  # the caller's dict changes later: the options do not
    assert options.lr_schedule == {"type": "exponential", "gamma": 0.5}
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.epochs = 10  # type: ignore[misc]
    assert options.build_schedule(0.1).lr_for(2) == pytest.approx(0.05)
    assert options.build_early_stopping() is None and options.penalties() == (0.0, 0.0)


def test_a_ready_optimizer_is_used_as_is():
    opt = build_optimizer({"type": "adam", "learning_rate": 0.01})
    options = FitOptions(**(BASE | {"optimizer": opt}))
    assert options.build_optimizer() is opt
    fresh = FitOptions(**BASE)
    assert fresh.build_optimizer() is not fresh.build_optimizer()


def test_from_training_spec_fills_defaults_for_old_specs():
    old = {"optimizer": {"type": "adam"}, "epochs": 2, "batch_size": 8, "seed": 1}
    options = FitOptions.from_training_spec(old, "classification", keep_epoch_weights=True)
    assert options == FitOptions(
        loss="cross_entropy",
        optimizer={"type": "adam"},
        epochs=2,
        batch_size=8,
        seed=1,
        keep_epoch_weights=True,
    )
    assert options.shuffle is True and options.early_stopping is None


def test_from_training_spec_maps_every_key():
    training = {
        "loss": {"type": "huber", "delta": 0.5},
        "optimizer": {"type": "sgd", "momentum": 0.9},
        "epochs": 5,
        "batch_size": 16,
        "seed": 7,
        "shuffle": False,
        "early_stopping": {"patience": 2},
        "regularization": {"l2": 0.01},
        "gradient_clip_norm": 1.5,
        "lr_schedule": {"type": "cosine"},
        "input_scaling": "auto",  # data preparation's, not fit's
    }
    options = FitOptions.from_training_spec(training, "regression", target_scale=2.0)
    assert options.loss == {"type": "huber", "delta": 0.5} and options.task == "regression"
    assert (options.epochs, options.batch_size, options.seed) == (5, 16, 7)
    assert options.shuffle is False and options.early_stopping == {"patience": 2}
    assert options.penalties() == (0.0, 0.01) and options.gradient_clip_norm == 1.5
    assert options.lr_schedule == {"type": "cosine"} and options.target_scale == 2.0


def test_resolve_loss():
    assert resolve_loss(None, "classification") == "cross_entropy"
    assert resolve_loss(None, "regression") == "mse"
    assert resolve_loss("mae", "regression") == "mae"
    with pytest.raises(SpecError, match="task"):
        resolve_loss(None, "ranking")
