"""The downloadable model: weights plus everything needed to use them without the service.

One .npz of plain arrays, loadable with np.load(path, allow_pickle=False):

- ``layers.N.<name>``: the weights as the engine keeps them (a dense layer's W is (in, out),
  b is (out,); batchnorm also has running_mean and running_var);
- ``mean``, ``std``: the feature standardisation, x_scaled = (x - mean) / std (identity
  values when inputs were not scaled); for a table with text columns they apply to the
  encoded row (one-hot levels as spec.json's preprocessing.encoding lists them);
- ``target_mean``, ``target_std`` (regression): y = output * target_std + target_mean;
- ``classes`` (classification): the label of each output unit;
- ``impute`` (tables uploaded with impute): per column, the value that fills a missing
  number (the mean or median of the training rows; NaN for a text column);
- ``spec.json``: UTF-8 JSON stored as a uint8 array, json.loads(z["spec.json"].tobytes()):
  format, task, classes, input schema, the network and training spec (defaults filled in)
  and preprocessing: what running the model needs, the same for two bit-identical runs.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from service.db.blobs import arrays_to_npz, npz_to_arrays
from service.db.models import TrainedModel
from service.jobs.resolved import resolved_spec

FORMAT = "backprop-model/1"


def model_archive(row: TrainedModel) -> bytes:
    """The .npz bytes of a stored model: weights, preprocessing arrays and spec.json."""
    arrays: dict[str, np.ndarray] = dict(npz_to_arrays(row.weights))
    pre = row.preprocessing or {}
    scaler = pre["standardizer"]
    arrays["mean"] = np.asarray(scaler["mean"], dtype=np.float32)
    arrays["std"] = np.asarray(scaler["std"], dtype=np.float32)
    if "target_scaler" in pre:
        arrays["target_mean"] = np.asarray(pre["target_scaler"]["mean"], dtype=np.float32)
        arrays["target_std"] = np.asarray(pre["target_scaler"]["std"], dtype=np.float32)
    if row.classes:
        arrays["classes"] = np.asarray(row.classes)
    encoding = pre.get("encoding") or {}
    if encoding.get("strategy"):
        fills = [c.get("impute") for c in encoding["columns"]]
        arrays["impute"] = np.array([np.nan if f is None else f for f in fills], np.float64)
    arrays["spec.json"] = np.frombuffer(json.dumps(archive_spec(row)).encode(), np.uint8)
    return arrays_to_npz(arrays)


def archive_spec(row: TrainedModel) -> dict[str, Any]:
    """What spec.json holds (JSON-serialisable)."""
    spec = resolved_spec({"network": row.network, "training": row.training}, row.task)
    return {
        "format": FORMAT,
        "task": row.task,
        "classes": row.classes,
        "input_schema": row.input_schema,
        "network": spec["network"],
        "training": spec["training"],
        "preprocessing": row.preprocessing,
    }
