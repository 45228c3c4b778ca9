"""A stored model rebuilt for predictions: its network plus the preprocessing fitted with it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from service.data import Standardizer, TargetScaler
from service.data.encoding import TableEncoding
from service.db.blobs import npz_to_arrays
from service.db.models import TrainedModel
from service.engine import Network, build_network


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
    """One instance's shape, e.g. (4,) for 4 features or (28, 28, 1) for an image."""
    encoding: TableEncoding | None = None
    """A table's columns: instances are records or raw rows, encoded before scaling."""
    skipped: frozenset[str] = frozenset()
    """Names predict accepts and ignores in records: the target and left-out columns."""
    checked_at: float = field(default_factory=time.monotonic)
    """When the database last confirmed the model exists (time.monotonic(), seconds)."""
    num_params: int = 0
    """The network's parameters: a measure of the work one row takes."""

    @cached_property
    def labels(self) -> np.ndarray:
        """The classes as a read-only object array (K,), indexed by predicted class."""
        labels = np.empty(len(self.classes or ()), dtype=object)
        labels[:] = self.classes or []
        labels.flags.writeable = False
        return labels


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
        num_params=net.num_params,
    )
