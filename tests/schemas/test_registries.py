"""The published schema and the engine's registries name the same things: every layer type,
optimizer, loss, activation and learning-rate schedule on one side has an entry on the
other, with the same spec keys; the tags dropped from error paths are the unions' own."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from service.engine import (
    ACTIVATIONS,
    LAYER_TYPES,
    LOSSES,
    OPTIMIZERS,
    SCHEDULE_KEYS,
    build_optimizer,
    get_loss,
)
from service.engine.initializers import INITIALIZERS
from service.engine.layers.conv import PADDINGS
from service.engine.schedules import SCHEDULE_COMMON_KEYS, Schedule
from service.schemas.common import type_tag
from service.schemas.network import (
    ACTIVATION_NAMES,
    INITIALIZER_NAMES,
    LAYER_MODELS,
    LAYER_TAGS,
    PADDING_MODES,
    NetworkSpec,
)
from service.schemas.training import (
    LOSS_NAMES,
    LOSS_SPEC_MODELS,
    OPTIMIZER_MODELS,
    OPTION_TAGS,
    SCHEDULE_MODELS,
    TrainingSpec,
)


def options(model: type[BaseModel]) -> set[str]:
    """A union member's fields besides its `type` tag."""
    return set(model.model_fields) - {"type"}


def example(model: type[BaseModel]) -> dict:
    """The model's first published example, validated and dumped as the API stores it."""
    first = model.model_config["json_schema_extra"]["examples"][0]
    return model.model_validate(first).model_dump()


def by_tag(models: tuple[type[BaseModel], ...]) -> dict[str, type[BaseModel]]:
    tags = [type_tag(m) for m in models]
    assert len(set(tags)) == len(tags), f"duplicate tags in {tags}"
    return dict(zip(tags, models, strict=True))


def test_layer_types_match_and_take_the_same_keys():
    models = by_tag(LAYER_MODELS)
    assert set(models) == set(LAYER_TYPES) == LAYER_TAGS
    for tag, model in models.items():
        assert options(model) == set(LAYER_TYPES[tag].spec_keys), tag


def test_optimizers_match_and_take_the_same_keys():
    models = by_tag(OPTIMIZER_MODELS)
    assert set(models) == set(OPTIMIZERS)
    for tag, model in models.items():
        assert options(model) == set(OPTIMIZERS[tag].spec_keys), tag
        assert build_optimizer(example(model)).type_name == tag
        assert build_optimizer(model.model_validate({"type": tag}).model_dump())


def test_losses_match_and_take_the_same_options():
    assert set(LOSS_NAMES) == set(LOSSES)
    models = by_tag(LOSS_SPEC_MODELS)
    assert set(models) == {name for name, cls in LOSSES.items() if cls.spec_keys}
    for tag, model in models.items():
        assert options(model) == set(LOSSES[tag].spec_keys), tag
        assert get_loss(example(model)).name == tag


def test_schedules_match_and_take_the_same_keys():
    models = by_tag(SCHEDULE_MODELS)
    assert set(models) == set(SCHEDULE_KEYS)
    for tag, model in models.items():
        assert options(model) == {*SCHEDULE_COMMON_KEYS, *SCHEDULE_KEYS[tag]}, tag
        assert Schedule(example(model), base_lr=0.1, epochs=10).kind == tag


def test_activations_initializers_and_paddings_match():
    assert set(ACTIVATION_NAMES) == set(ACTIVATIONS)
    assert set(INITIALIZER_NAMES) == set(INITIALIZERS)
    assert set(PADDING_MODES) == set(PADDINGS)


def _error_locs(model: type[BaseModel], body: dict) -> list[tuple]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return [tuple(e["loc"]) for e in caught.value.errors()]


@pytest.mark.parametrize("tag", sorted(LAYER_TAGS))
def test_layer_error_paths_hold_a_known_tag(tag):
    """api/errors.py drops these tags from error paths; a tag missing from LAYER_TAGS
    would leak into the 422 as if it were a field."""
    locs = _error_locs(NetworkSpec, {"layers": [{"type": tag, "unknown_key": 1}]})
    assert ("layers", 0, tag, "unknown_key") in locs


@pytest.mark.parametrize(
    "field,body",
    [("optimizer", {"type": type_tag(m), "unknown_key": 1}) for m in OPTIMIZER_MODELS]
    + [("lr_schedule", {"type": type_tag(m), "unknown_key": 1}) for m in SCHEDULE_MODELS]
    + [("loss", "no_such_loss"), ("loss", {"type": "huber", "unknown_key": 1})],
)
def test_option_error_paths_hold_a_known_tag(field, body):
    locs = _error_locs(TrainingSpec, {field: body})
    assert locs and all(loc[0] == field and loc[1] in OPTION_TAGS for loc in locs), locs
