"""Client methods for /v1/datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.client.base import ClientBase


class DatasetsApi(ClientBase):
    """Upload, list, get and delete datasets."""

    def upload_dataset(
        self,
        path: str | Path,
        target: str | None = None,
        name: str | None = None,
        task: str | None = None,
    ) -> dict[str, Any]:
        """Upload a .csv (needs `target`), .npz or .json file; returns the dataset."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            body = json.loads(path.read_text())
            body.setdefault("name", name or path.name)
            if task:
                body["task"] = task
            return self._json("POST", "/v1/datasets", json=body)
        form = {k: v for k, v in {"target": target, "name": name, "task": task}.items() if v}
        with path.open("rb") as handle:
            files = {"file": (path.name, handle, "application/octet-stream")}
            return self._json("POST", "/v1/datasets", data=form, files=files)

    def list_datasets(self, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        return self._json("GET", "/v1/datasets", params={"limit": limit, "offset": offset})

    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/datasets/{dataset_id}")

    def delete_dataset(self, dataset_id: str) -> None:
        self._json("DELETE", f"/v1/datasets/{dataset_id}")
