"""Search spaces: paths must exist in the job body, ranges must suit their fields, and the
corners of the space go through the job plan."""

from __future__ import annotations

import pytest

from service.jobs.plan import DatasetSummary
from service.jobs.plan_checks import JobLimits, SpecMismatch
from service.schemas.searches import SearchCreate
from service.search.check import SearchLimits, check_search
from service.search.space import apply, parse_path

BODY = {
    "network": {
        "layers": [
            {"type": "dense", "units": 8, "activation": "relu"},
            {"type": "dropout", "rate": 0.1},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    },
    "training": {"optimizer": {"type": "adam", "learning_rate": 0.001}, "early_stopping": None},
}
DATASET = DatasetSummary(task="classification", input_shape=(4,), classes=[0, 1], rows=100)
LIMITS = JobLimits(
    max_layers=100, max_units=16384, max_params=10**7, max_epoch_rows=10**9, max_batch_size=4096
)


def refused(space: dict, **changes) -> SpecMismatch:
    body = {"dataset_id": "d", **BODY, "space": space, **changes}
    with pytest.raises(SpecMismatch) as info:
        check_search(SearchCreate.model_validate(body), DATASET, LIMITS, SearchLimits(100, 8))
    return info.value


def test_paths_parse_and_apply():
    assert parse_path("network.layers[1].rate") == ("network", "layers", 1, "rate")
    out = apply(BODY, {"network.layers[1].rate": 0.3, "training.optimizer": {"type": "sgd"}})
    assert out["network"]["layers"][1]["rate"] == 0.3 and out["training"]["optimizer"]["type"]
    assert BODY["network"]["layers"][1]["rate"] == 0.1  # the base is not touched


@pytest.mark.parametrize(
    ("path", "spec", "fragment"),
    [
        ("network.layers[5].units", {"int": [1, 4]}, "has 3 entries"),
        ("network.layers[0].width", {"int": [1, 4]}, "has no field 'width'"),
        ("training.early_stopping.patience", {"int": [1, 4]}, "is null in the job body"),
        ("training..seed", {"int": [1, 4]}, "is not of the form"),
        ("training.seed", {"int": [4, 1]}, "lo (4) must be below hi (1)"),
        ("training.seed", {"int": [1.5, 3]}, "must be integers"),
        ("training.seed", {"uniform": [0, "x"]}, "two finite numbers"),
        ("training.optimizer.learning_rate", {"loguniform": [0, 0.1]}, "must be above 0"),
        ("training.seed", {"choice": []}, "list of 1 to 100"),
        ("training.seed", {"between": [1, 2]}, "must be one of"),
        ("training.seed", {"int": [1, 9], "stride": 2}, "unknown key"),
    ],
)
def test_bad_paths_and_ranges_name_the_path(path, spec, fragment):
    error = refused({path: spec})
    assert error.loc == ("space", path) and fragment in error.message, error.message


def test_ranges_must_suit_their_fields():
    error = refused({"network.layers[1].rate": {"uniform": [0.1, 1.5]}})
    assert error.loc == ("space", "network.layers[1].rate")
    assert "network.layers[1].rate" in error.message and "1.5" in error.message
    error = refused({"network.layers[0].units": {"uniform": [4.0, 16.0]}})
    assert "valid integer" in error.message, error.message
    error = refused({"training.optimizer": {"choice": [{"type": "adam"}, {"type": "lbfgs"}]}})
    assert error.loc == ("space", "training.optimizer"), error.message


def test_a_corner_that_breaks_a_layer_names_the_path_and_the_layer():
    error = refused({"network.layers[2].units": {"choice": [2, 3]}})
    assert error.loc == ("space", "network.layers[2].units")
    assert "network.layers[2]" in error.message and "= 3" in error.message, error.message
    error = refused({"network.layers[0].units": {"int": [8, 100000]}})
    assert "100000" in error.message and "network.layers[0]" in error.message, error.message


def test_strategy_and_objective_are_checked():
    space = {"network.layers[0].units": {"choice": [4, 8, 16]}, "training.seed": {"int": [0, 3]}}
    assert "only choices" in refused(space, strategy={"type": "grid"}).message
    grid = {"network.layers[0].units": {"choice": [4, 8, 16]}}
    error = refused(grid, strategy={"type": "grid", "max_trials": 2})
    assert error.loc == ("strategy", "max_trials") and "3 points" in error.message
    assert refused(grid, strategy={"max_trials": 500}).loc == ("strategy", "max_trials")
    assert refused(grid, strategy={"parallelism": 9}).loc == ("strategy", "parallelism")
    error = refused(grid, objective={"metric": "val_r2"})
    assert error.loc == ("objective", "metric") and "classification" in error.message
    error = refused(grid, training={"validation_split": 0.0})
    assert error.loc == ("training", "validation_split")
    error = refused(
        {"network.layers[0]": {"choice": [1]}, "network.layers[0].units": {"int": [1, 4]}}
    )
    assert "overlap" in error.message


def test_a_good_search_counts_its_trials():
    body = {
        "dataset_id": "d",
        **BODY,
        "space": {
            "network.layers[0].units": {"choice": [4, 8]},
            "training.seed": {"choice": [1, 2]},
        },
        "strategy": {"type": "grid", "max_trials": 10},
    }
    checked = check_search(SearchCreate.model_validate(body), DATASET, LIMITS, SearchLimits(100, 8))
    assert checked.total_trials == 4
    assert checked.objective == {"metric": "val_loss", "direction": "minimize"}
    assert [r.path for r in checked.ranges] == sorted(body["space"])
