"""Trained model responses and prediction requests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import StrictModel, Timestamp
from service.schemas.registry import Lineage, RegistryEntry


class LayerSummary(BaseModel):
    """One layer of a trained network: output shape (per sample) and parameters."""

    index: int
    type: str
    output_shape: list[int]
    params: int


class ModelOut(BaseModel):
    """A trained model: spec, layers, metrics, input schema and classes."""

    id: str
    job_id: str
    dataset_id: str
    task: str
    network: dict[str, Any]
    training: dict[str, Any]
    layers: list[LayerSummary]
    num_params: int
    metrics: dict[str, Any]
    input_schema: dict[str, Any]
    classes: list[Any] | None
    lineage: Lineage | None = None
    registered_as: list[RegistryEntry] = Field(
        default_factory=list, description="The registry versions (and aliases) it is"
    )
    created_at: Timestamp


MAX_PREDICT_ROWS = 10_000
"""Rows of one predict request (JSON or .npy)."""


class PredictRequest(StrictModel):
    """Rows to predict, each a list of numbers in the dataset's feature order."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"instances": [[5.1, 3.5, 1.4, 0.2]]},
                {
                    "instances": [
                        {
                            "island": "Biscoe",
                            "sex": None,
                            "bill_length_mm": 49.9,
                            "bill_depth_mm": 16.1,
                            "flipper_length_mm": 213,
                            "body_mass_g": 5400,
                        }
                    ]
                },
            ]
        },
    )
    instances: list[Any] = Field(
        min_length=1,
        max_length=MAX_PREDICT_ROWS,
        description="List of rows: each a flat list of the features in the dataset's order "
        "(text in categorical columns), (images, sequences) nested lists in the input's "
        "shape, e.g. H x W x C, or for a table an object by column name (an absent key or "
        "null is a gap).",
    )


class PredictResponse(BaseModel):
    """Predicted labels (original values) or numbers; class probabilities for classifiers."""

    predictions: list[Any]
    probabilities: list[list[float]] | None = None
    warnings: list[dict[str, Any]] | None = Field(
        default=None,
        description="Values the model has not seen (row, column, value): encoded as no level.",
    )


_BINARY = {
    "schema": {"type": "string", "format": "binary"},
    "example": "the bytes np.save (x-npy) or np.savez with member X (x-npz) writes",
}
PREDICT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": PredictRequest.model_json_schema()},
            "application/x-npy": _BINARY,
            "application/x-npz": _BINARY,
        },
    }
}
"""The predict route's body for OpenAPI: it reads the body itself (JSON, .npy or .npz)."""
