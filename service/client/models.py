"""Client methods for /v1/models: list, get, delete, predict, evaluate, weights and export."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from service.client.base import ClientBase, delete_method, get_method, list_method


class ModelsApi(ClientBase):
    """Trained models and their predictions."""

    list_models = list_method("/v1/models")
    get_model = get_method("/v1/models")
    delete_model = delete_method("/v1/models")

    def predict(self, model_id: str, instances: list[Any]) -> dict[str, Any]:
        """{"predictions": [...], "probabilities": [[...]]} for rows of features."""
        return self._json("POST", f"/v1/models/{model_id}/predict", json={"instances": instances})

    def predict_array(self, model_id: str, X: np.ndarray) -> dict[str, Any]:
        """predict for a numeric array of rows, (n, features...), sent as an .npy body (no
        JSON encoding of the inputs; the fast way for big batches)."""
        body = io.BytesIO()
        np.save(body, np.ascontiguousarray(X, dtype=np.float32), allow_pickle=False)
        return self._json(
            "POST",
            f"/v1/models/{model_id}/predict",
            content=body.getvalue(),
            headers={"Content-Type": "application/x-npy"},
        )

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
