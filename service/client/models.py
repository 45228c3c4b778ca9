"""Client methods for /v1/models: list, get, delete, predict, evaluate, weights and export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.client.base import ClientBase


class ModelsApi(ClientBase):
    """Trained models and their predictions."""

    def list_models(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._list("/v1/models", limit, offset)

    def get_model(self, model_id: str) -> dict[str, Any]:
        return self._get(f"/v1/models/{model_id}")

    def delete_model(self, model_id: str) -> None:
        self._delete(f"/v1/models/{model_id}")

    def predict(self, model_id: str, instances: list[Any]) -> dict[str, Any]:
        """{"predictions": [...], "probabilities": [[...]]} for rows of features."""
        return self._json("POST", f"/v1/models/{model_id}/predict", json={"instances": instances})

    def evaluate(
        self, model_id: str, dataset_id: str, importance: bool = False, seed: int = 0
    ) -> dict[str, Any]:
        """{"rows", "task", "metrics", ...} of the model on a stored data set."""
        body = {"dataset_id": dataset_id, "importance": importance, "seed": seed}
        return self._json("POST", f"/v1/models/{model_id}/evaluate", json=body)

    def download_weights(self, model_id: str, path: str | Path | None = None) -> bytes:
        """The model .npz (weights, preprocessing arrays, spec.json); also written to `path`
        when given."""
        return self._download(f"/v1/models/{model_id}/weights", path)

    def export_model(
        self, model_id: str, format: str = "onnx", path: str | Path | None = None
    ) -> bytes:
        """The model as a portable file (ONNX: input `input`, outputs `predictions` and
        `probabilities`); also written to `path` when given."""
        return self._download(f"/v1/models/{model_id}/export", path, params={"format": format})
