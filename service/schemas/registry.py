"""The model registry: names, numbered versions, aliases; and a model's lineage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import StrictModel, Timestamp

MODEL_ID_EXAMPLE = "0b6e7c1d-52a4-4c39-8f53-8f0d3f6f2a11"
VERSION_EXAMPLE = {
    "name": "wine",
    "version": 2,
    "model_id": MODEL_ID_EXAMPLE,
    "created_at": "2026-12-02T19:00:00Z",
}


class VersionCreate(StrictModel):
    """POST /v1/registry/{name}/versions: the model to register as the next version."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"model_id": MODEL_ID_EXAMPLE}]})
    model_id: str = Field(pattern=r"^[0-9A-Za-z_-]{1,64}$", description="A trained model's id")


class AliasSet(StrictModel):
    """PUT /v1/registry/{name}/aliases/{alias}: the version the alias points at from now on."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 2}]})
    version: int = Field(ge=1, le=2**31 - 1)


class VersionOut(BaseModel):
    """One version of a registered name: which model it is."""

    model_config = ConfigDict(json_schema_extra={"examples": [VERSION_EXAMPLE]})
    name: str
    version: int
    model_id: str
    created_at: Timestamp


class AliasOut(BaseModel):
    """An alias after it was set."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "wine", "alias": "production", "version": 2}]}
    )
    name: str
    alias: str
    version: int


class RegistryNameOut(BaseModel):
    """A registered name: its versions (oldest first) and aliases ({alias: version})."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "wine",
                    "latest_version": 2,
                    "versions": [VERSION_EXAMPLE],
                    "aliases": {"production": 2},
                    "created_at": "2026-12-02T18:00:00Z",
                }
            ]
        }
    )
    name: str
    latest_version: int | None = Field(description="The newest version that still exists")
    versions: list[VersionOut]
    aliases: dict[str, int]
    created_at: Timestamp


class RegistryEntry(BaseModel):
    """Where a model is registered: name, version and the aliases on that version."""

    name: str
    version: int
    aliases: list[str]


class Lineage(BaseModel):
    """Where a model came from. Models trained before lineage was recorded show what their
    job still tells (service_version and dataset_sha256 may then be null)."""

    dataset_id: str
    dataset_sha256: str | None = Field(description="Hex SHA-256 of the data set's arrays")
    job_id: str
    spec: dict[str, Any] = Field(description="The job's full spec: network and training")
    seed: int | None
    attempts: int = Field(description="Attempts the job took (1 unless a worker was lost)")
    training_seconds: float | None = Field(description="Seconds of training, every attempt")
    search_id: str | None = Field(default=None, description="The search it was a trial of")
    trial: int | None = Field(default=None, description="Its trial number in that search")
    service_version: str | None
