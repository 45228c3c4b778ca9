"""Client methods for /v1/datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.client.base import ClientBase, delete_method, get_method, list_method


class DatasetsApi(ClientBase):
    """Upload, list, get and delete datasets."""

    def upload_dataset(
        self,
        path: str | Path,
        target: str | None = None,
        name: str | None = None,
        task: str | None = None,
        impute: str | None = None,
        categorical: list[str] | None = None,
        ignore: list[str] | None = None,
    ) -> dict[str, Any]:
        """Upload a .csv (needs `target`), .npz or .json file ({X, y, feature_names, target});
        returns the dataset. Tables (CSV, JSON): `impute` "mean" or "median" fills missing
        numbers, `categorical` names columns to read as categories, `ignore` columns to
        leave out."""
        path = Path(path)
        table = {"impute": impute, "categorical": categorical, "ignore": ignore}
        if path.suffix.lower() == ".json":
            body = json.loads(path.read_text())
            body.setdefault("name", name or path.name)
            extra = {"task": task, "target": target, **table}
            body.update({k: v for k, v in extra.items() if v})
            return self._json("POST", "/v1/datasets", json=body)
        fields = {"target": target, "name": name, "task": task, **table}
        form = {k: ",".join(v) if isinstance(v, list) else v for k, v in fields.items() if v}
        with path.open("rb") as handle:
            files = {"file": (path.name, handle, "application/octet-stream")}
            return self._json("POST", "/v1/datasets", data=form, files=files)

    list_datasets = list_method("/v1/datasets")
    get_dataset = get_method("/v1/datasets")
    delete_dataset = delete_method("/v1/datasets")
