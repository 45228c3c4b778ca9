"""The predict route's work, away from the web framework: a request body (JSON, .npy or
.npz; bytes or a view of the buffer it was read into) -> features -> the answer as JSON.

JSON rows of numbers take a fast path: flat rows are parsed by simdjson straight into one
array (json_rows), rows nested in the input's shape are decoded by msgspec into lists of
floats and made one float32 array by NumPy (no per-value Python). Anything the fast path
does not take (records by name, categorical text, mistakes) goes through the validator,
whose messages name the row and column. A binary body's array is used in place (no copy): each
block of rows is converted, checked and standardized on its way into the network
(serving.forward). The answer's arrays are written by orjson.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Callable
from contextlib import nullcontext
from functools import lru_cache
from typing import Any

import msgspec
import numpy as np
import orjson
from pydantic import ValidationError

from service.data.columns import CATEGORICAL
from service.data.errors import DatasetError
from service.data.values import fits_float32
from service.schemas.models import MAX_PREDICT_ROWS, PredictRequest
from service.serving.forward import THREADS, check_rows, forward
from service.serving.json_rows import flat_rows
from service.serving.model import LoadedModel
from service.serving.npy_body import NPY_MAGIC, ZIP_MAGIC, Buffer, read_npy, read_npz
from service.serving.predict import (
    Prediction,
    check_answer_size,
    features,
    predict_arrays,
    prediction,
)
from service.serving.shared_switch import SharedSwitch

JSON, NPY, NPZ, BINARY = "json", "npy", "npz", "binary"
MEDIA_TYPES = {
    "application/json": JSON,
    "": JSON,
    "application/x-npy": NPY,
    "application/npy": NPY,
    "application/x-npz": NPZ,
    "application/zip": NPZ,
    "application/octet-stream": BINARY,
}


def body_kind(content_type: str | None) -> str | None:
    """json, npy, npz or binary (told apart by its first bytes); None if unsupported."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media.endswith("+json"):
        return JSON
    return MEDIA_TYPES.get(media)


def answer(model: LoadedModel, body: Buffer, kind: str, max_values: int, max_bytes: int) -> bytes:
    """The JSON answer to a predict body of the given kind (DatasetError if it is wrong;
    DatasetTooLarge if the answer would hold more than `max_values` numbers). An .npz
    body may expand to at most `max_bytes`."""
    kind = binary_kind(body) if kind == BINARY else kind
    if kind == NPY:
        return binary_answer(model, read_npy(body), max_values)
    if kind == NPZ:
        return binary_answer(model, read_npz(body, max_bytes), max_values)
    X, warnings = read_features(model, body, kind, max_bytes)
    check_answer_size(model, len(X), max_values)
    return encode(predict_arrays(model, X, warnings, threads=THREADS))


def binary_kind(body: Buffer) -> str:
    """npy or npz, told apart by a binary body's first bytes."""
    first = bytes(body[:6])
    if first == NPY_MAGIC:
        return NPY
    if first.startswith(ZIP_MAGIC):
        return NPZ
    raise DatasetError("body: expected an .npy array or an .npz archive")


def binary_answer(model: LoadedModel, X: np.ndarray, max_values: int) -> bytes:
    """The answer to the rows of a binary body's array, used in place: any numeric dtype,
    checked a block at a time on its way into the network."""
    rows = array_rows(model, X)
    check_answer_size(model, len(rows), max_values)
    return encode(prediction(model, forward(model, rows, checked=False, threads=THREADS)))


def read_features(
    model: LoadedModel, body: Buffer, kind: str, max_bytes: int
) -> tuple[np.ndarray, list[dict]]:
    """float32 (M, *input_shape) features of a body, and warnings for unseen levels."""
    kind = binary_kind(body) if kind == BINARY else kind
    if kind in (NPY, NPZ):
        rows = array_rows(model, read_npy(body) if kind == NPY else read_npz(body, max_bytes))
        with np.errstate(over="ignore", invalid="ignore"):
            X32 = rows.astype(np.float32, copy=False)
        if not fits_float32(X32):
            check_rows(rows, 0)
        return X32, []
    fast = _fast_json(model, body)
    if fast is not None:
        return fast, []
    return features(model, _instances(body))


def array_rows(model: LoadedModel, X: np.ndarray) -> np.ndarray:
    """The rows of a binary body's array as (M, *input_shape), a view when it can be."""
    check_array_shape(model, X.shape)
    return X.reshape((len(X), *model.input_shape))


def check_array_shape(model: LoadedModel, shape: tuple[int, ...]) -> None:
    """DatasetError unless a binary body's array shape is (M, F) or (M, *input_shape)
    with 1 to MAX_PREDICT_ROWS rows."""
    want = model.input_shape
    n_features = math.prod(want)
    if len(shape) < 2 or not (shape[1:] == want or shape[1:] == (n_features,)):
        dims = ", ".join(str(d) for d in want)
        raise DatasetError(
            f"body: expected an array of shape (rows, {n_features})"
            + (f" or (rows, {dims})" if len(want) > 1 else "")
            + f", got {tuple(shape)}"
        )
    if not 1 <= shape[0] <= MAX_PREDICT_ROWS:
        raise DatasetError(f"body: expected 1 to {MAX_PREDICT_ROWS} rows, got {shape[0]}")


@lru_cache(maxsize=8)
def _decoder(depth: int) -> msgspec.json.Decoder:
    """A decoder of {"instances": rows}, each row `depth` levels of lists of floats."""
    row: Any = float
    for _ in range(depth):
        row = list[row]
    body = msgspec.defstruct("PredictBody", [("instances", list[row])], forbid_unknown_fields=True)
    return msgspec.json.Decoder(body)


def _fast_json(model: LoadedModel, body: Buffer) -> np.ndarray | None:
    """float32 features of a body of numeric rows (flat rows through simdjson, json_rows;
    rows nested in the input's shape through msgspec), or None when anything is unusual
    (the validator then explains it)."""
    encoding = model.encoding
    if encoding is not None and any(c.kind == CATEGORICAL for c in encoding.columns):
        return None
    shape = model.input_shape
    flat = flat_rows(body, math.prod(shape), MAX_PREDICT_ROWS)
    if flat is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            X = flat.astype(np.float32)
        return X.reshape((len(X), *shape)) if fits_float32(X) else None
    return _nested_json(body, shape) if len(shape) > 1 else None


def _nested_json(body: Buffer, shape: tuple[int, ...]) -> np.ndarray | None:
    """float32 (M, *shape) of a body whose rows are nested lists in the input's shape, or
    None when anything is unusual."""
    decoder = _decoder(len(shape))
    try:
        with _no_gc if len(body) >= NO_GC_BYTES else nullcontext():
            rows = decoder.decode(body).instances
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    if not 1 <= len(rows) <= MAX_PREDICT_ROWS:
        return None
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            X = np.array(rows, dtype=np.float32)
    except (ValueError, OverflowError):
        return None
    if X.shape != (len(rows), *shape) or not fits_float32(X):
        return None
    return X


def _pause_gc() -> Callable[[], None]:
    """Pause the cyclic garbage collector; the undo turns it back on if it was on."""
    was_on = gc.isenabled()
    gc.disable()
    return gc.enable if was_on else lambda: None


_no_gc = SharedSwitch(_pause_gc)
"""Held while the rows of a body of NO_GC_BYTES or more are decoded: decoding makes no
cycles, but each row list it makes sends the collector walking every float of the rows so
far (10-18% of a 1000-row decode)."""
NO_GC_BYTES = 64 * 1024
"""A smaller body makes too few lists to start a collection."""


def _instances(body: Buffer) -> list[Any]:
    """The instances of a JSON body, validated like the documented request schema."""
    try:  # Python's parser: integers of any size reach the validator
        data = json.loads(body if isinstance(body, bytes | bytearray) else bytes(body))
    except ValueError as exc:
        raise DatasetError(f"body: invalid JSON: {exc}") from None
    except RecursionError:
        raise DatasetError("body: invalid JSON: nested too deeply") from None
    try:
        return PredictRequest.model_validate(data).instances
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise DatasetError(f"{where}: {first['msg']}") from None


def encode(result: Prediction) -> bytes:
    """The answer as JSON: numbers straight from the arrays (orjson, no per-value Python)."""
    preds = result.predictions
    out: dict[str, Any] = {"predictions": preds if preds.dtype != object else preds.tolist()}
    if result.probabilities is not None:
        out["probabilities"] = result.probabilities
    if result.warnings:
        out["warnings"] = result.warnings
    return orjson.dumps(out, option=orjson.OPT_SERIALIZE_NUMPY)
