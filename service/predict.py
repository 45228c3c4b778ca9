"""Predictions from stored models, with built networks kept in an LRU cache."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.data import DatasetError, Standardizer, TargetScaler, format_instances
from service.data.encoding import TableEncoding
from service.db.blobs import npz_to_arrays
from service.db.models import TrainedModel
from service.engine import Network, build_network
from service.serving.table_rows import needs_table_rows, table_rows


@dataclass
class LoadedModel:
    """A ready-to-run model: network plus the preprocessing fitted at training time."""

    tenant_id: str
    network: Network
    standardizer: Standardizer
    target_scaler: TargetScaler | None
    classes: list[Any] | None
    task: str
    input_shape: tuple[int, ...]
    encoding: TableEncoding | None = None
    """A table's columns: instances are records or raw rows, encoded before scaling."""
    skipped: frozenset[str] = frozenset()
    """Names predict accepts and ignores in records: the target and left-out columns."""
    checked_at: float = field(default_factory=time.monotonic)
    """When the database last confirmed the model exists (time.monotonic())."""


def load_model(row: TrainedModel) -> LoadedModel:
    """Rebuild the network from its spec and load its stored weights."""
    input_shape = tuple(row.input_schema["input_shape"])
    net = build_network(row.network["layers"], input_shape, seed=0)
    net.set_weights(npz_to_arrays(row.weights))
    pre = row.preprocessing
    scaler = TargetScaler.from_dict(pre["target_scaler"]) if "target_scaler" in pre else None
    return LoadedModel(
        tenant_id=row.tenant_id,
        network=net,
        standardizer=Standardizer.from_dict(pre["standardizer"]),
        target_scaler=scaler,
        classes=row.classes,
        task=row.task,
        input_shape=input_shape,
        encoding=TableEncoding.from_dict(pre["encoding"]) if "encoding" in pre else None,
        skipped=frozenset([row.input_schema.get("target"), *row.input_schema.get("ignored", [])]),
    )


class ModelCache:
    """Thread-safe LRU of LoadedModel by model id."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._items: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model_id: str) -> LoadedModel | None:
        with self._lock:
            item = self._items.get(model_id)
            if item is not None:
                self._items.move_to_end(model_id)
            return item

    def put(self, model_id: str, model: LoadedModel) -> None:
        with self._lock:
            self._items[model_id] = model
            self._items.move_to_end(model_id)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def drop(self, model_id: str) -> None:
        with self._lock:
            self._items.pop(model_id, None)


def predict(model: LoadedModel, instances: list[Any]) -> dict[str, Any]:
    """{"predictions": [...], "probabilities": [[...]] | None} for a list of feature rows."""
    warnings: list[dict[str, Any]] = []
    if model.encoding is not None and needs_table_rows(instances, model.encoding):
        rows = table_rows(instances, model.encoding, set(model.skipped))
        X, warnings = model.encoding.transform(rows.X), rows.warnings
    else:
        X = format_instances(instances, model.input_shape)
    try:
        out = model.network.predict(model.standardizer.transform(X))
    except ValueError as exc:  # inputs the network cannot take, e.g. unknown token ids
        raise DatasetError(f"instances: {exc}") from None
    extra = {"warnings": warnings} if warnings else {}
    if model.task == "regression":
        values = model.target_scaler.inverse_transform(out) if model.target_scaler else out
        values = np.asarray(values).reshape(len(X), -1)[:, 0]
        return {"predictions": [float(v) for v in values], **extra}
    classes = model.classes or []
    if out.shape[-1] == 1:  # one sigmoid unit: P(class 1)
        p1 = out[:, 0].astype(np.float64)
        probs = np.stack([1.0 - p1, p1], axis=1)
    else:
        probs = out.astype(np.float64)
    labels = [classes[i] for i in probs.argmax(axis=1)]
    return {"predictions": labels, "probabilities": np.round(probs, 6).tolist(), **extra}
