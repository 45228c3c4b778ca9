"""A finished job's numbers: the model's epoch and the last one, labelled; resolved specs."""

from __future__ import annotations

from service.engine import EpochRecord
from service.jobs.model_row import REGRESSION_UNITS, final_metrics
from service.jobs.resolved import resolved_spec


def history(n: int, regression: bool = False) -> list[EpochRecord]:
    def metrics(e: int) -> dict[str, float]:
        return {"mae": 10.0 / e, "r2": 1 - 1 / e} if regression else {"accuracy": e / 100}

    return [EpochRecord(e, 1.0 / e, 2.0 / e, metrics(e), 0.1, 100.0) for e in range(1, n + 1)]


def test_a_restored_best_epoch_is_named_next_to_the_last_epoch():
    m = final_metrics(history(22), 12, 60, "classification", "succeeded")
    assert (m["epoch"], m["epochs_run"], m["epochs_planned"]) == (12, 22, 60)
    assert m["stopped_early"] is True and m["restored_best_epoch"] == 12
    assert (m["loss"], m["val_loss"], m["accuracy"]) == (1 / 12, 2 / 12, 0.12)
    assert m["last_epoch"] == {"epoch": 22, "loss": 1 / 22, "val_loss": 2 / 22, "accuracy": 0.22}
    assert "units" not in m


def test_a_model_of_the_last_epoch_restores_nothing_and_regression_names_units():
    m = final_metrics(history(60, regression=True), None, 60, "regression", "succeeded")
    assert m["epoch"] == m["epochs_run"] == 60 and m["restored_best_epoch"] is None
    assert m["stopped_early"] is False and m["last_epoch"]["mae"] == m["mae"] == 10 / 60
    assert m["units"] == REGRESSION_UNITS and "standardised" in m["units"]["loss"]
    best_is_last = final_metrics(history(22), 22, 60, "classification", "succeeded")
    assert best_is_last["restored_best_epoch"] is None and best_is_last["stopped_early"]


def test_a_cancelled_job_did_not_stop_early():
    m = final_metrics(history(5), 5, 60, "classification", "cancelled")
    assert m["stopped_early"] is False and m["epochs_run"] == 5


def test_resolved_spec_fills_the_loss_and_initializers_that_training_used():
    spec = {
        "network": {"layers": [
            {"type": "dense", "units": 8, "activation": "relu", "initializer": None},
            {"type": "conv2d", "filters": 2, "activation": "leaky_relu", "initializer": None},
            {"type": "dropout", "rate": 0.1},
            {"type": "dense", "units": 3, "activation": "softmax", "initializer": "he"},
            {"type": "dense", "units": 1, "initializer": None},
        ]},
        "training": {"loss": None, "epochs": 3},
    }  # fmt: skip
    out = resolved_spec(spec, "classification")
    assert out["training"] == {"loss": "cross_entropy", "epochs": 3}
    layers = out["network"]["layers"]
    assert [x.get("initializer") for x in layers] == ["he", "he", None, "he", "glorot"]
    assert "initializer" not in layers[2]
    assert spec["training"]["loss"] is None  # a copy: the stored spec is left alone
    assert resolved_spec(spec, "regression")["training"]["loss"] == "mse"
    assert resolved_spec(spec, None)["training"]["loss"] is None
    huber = {**spec, "training": {"loss": {"type": "huber", "delta": 2.0}}}
    assert resolved_spec(huber, "regression")["training"]["loss"]["delta"] == 2.0
    bare = {"network": {"layers": [{"type": "dense", "units": 2}]}, "training": {}}
    assert resolved_spec(bare, "regression") == bare  # keys left out stay out
