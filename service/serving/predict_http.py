"""The predict route's work, away from the web framework: a request body (JSON, .npy or
.npz) -> features -> the answer as JSON bytes.

JSON rows of numbers take a fast path: decoded by msgspec straight into lists of floats and
made a float32 array in one call (no per-value Python). Anything the fast path does not
take (records by name, categorical text, mistakes) goes through the validator, whose
messages name the row and column. The answer's arrays are written by orjson.
"""

from __future__ import annotations

import json
import math
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
from service.serving.model import LoadedModel
from service.serving.npy_body import NPY_MAGIC, ZIP_MAGIC, read_npy, read_npz
from service.serving.predict import Prediction, check_answer_size, features, predict_arrays

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


def answer(model: LoadedModel, body: bytes, kind: str, max_values: int, max_bytes: int) -> bytes:
    """The JSON answer to a predict body of the given kind (DatasetError if it is wrong;
    DatasetTooLarge if the answer would hold more than `max_values` numbers). An .npz
    body may expand to at most `max_bytes`."""
    X, warnings = read_features(model, body, kind, max_bytes)
    check_answer_size(model, len(X), max_values)
    return encode(predict_arrays(model, X, warnings))


def read_features(
    model: LoadedModel, body: bytes, kind: str, max_bytes: int
) -> tuple[np.ndarray, list[dict]]:
    """float32 (M, *input_shape) features of a body, and warnings for unseen levels."""
    if kind == BINARY:
        kind = NPY if body.startswith(NPY_MAGIC) else NPZ if body.startswith(ZIP_MAGIC) else ""
        if not kind:
            raise DatasetError("body: expected an .npy array or an .npz archive")
    if kind == NPY:
        return _array_rows(model, read_npy(body)), []
    if kind == NPZ:
        return _array_rows(model, read_npz(body, max_bytes)), []
    fast = _fast_json(model, body)
    if fast is not None:
        return fast, []
    return features(model, _instances(body))


def _array_rows(model: LoadedModel, X: np.ndarray) -> np.ndarray:
    """Rows of a binary body, checked: (M, F) or (M, *input_shape), finite float32."""
    shape = model.input_shape
    n_features = math.prod(shape)
    if X.ndim < 2 or not (X.shape[1:] == shape or X.shape[1:] == (n_features,)):
        want = ", ".join(str(d) for d in shape)
        raise DatasetError(
            f"body: expected an array of shape (rows, {n_features})"
            + (f" or (rows, {want})" if len(shape) > 1 else "")
            + f", got {tuple(X.shape)}"
        )
    if not 1 <= len(X) <= MAX_PREDICT_ROWS:
        raise DatasetError(f"body: expected 1 to {MAX_PREDICT_ROWS} rows, got {len(X)}")
    with np.errstate(over="ignore", invalid="ignore"):
        X32 = X.astype(np.float32).reshape((len(X), *shape))
    if not fits_float32(X32):
        bad = np.argwhere(~np.isfinite(X32.reshape(len(X), -1)))[0]
        value = X.reshape(len(X), -1)[bad[0], bad[1]]
        raise DatasetError(
            f"instances[{bad[0]}][{bad[1]}]: {str(value).lower()} is not a finite float32 number",
            row=int(bad[0]),
        )
    return X32


@lru_cache(maxsize=8)
def _decoder(depth: int) -> msgspec.json.Decoder:
    """A decoder of {"instances": rows}, each row `depth` levels of lists of floats."""
    row: Any = float
    for _ in range(depth):
        row = list[row]
    body = msgspec.defstruct("PredictBody", [("instances", list[row])], forbid_unknown_fields=True)
    return msgspec.json.Decoder(body)


def _fast_json(model: LoadedModel, body: bytes) -> np.ndarray | None:
    """float32 features of a body of numeric rows (flat, or nested in the input's shape),
    or None when anything is unusual (the validator then explains it)."""
    encoding = model.encoding
    if encoding is not None and any(c.kind == CATEGORICAL for c in encoding.columns):
        return None
    shape = model.input_shape
    for depth in (1,) if len(shape) == 1 else (1, len(shape)):
        try:
            rows = _decoder(depth).decode(body).instances
        except (msgspec.ValidationError, msgspec.DecodeError):
            continue
        if not 1 <= len(rows) <= MAX_PREDICT_ROWS:
            return None
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                X = np.array(rows, dtype=np.float32)
        except (ValueError, OverflowError):
            return None
        expected = (len(rows), math.prod(shape)) if depth == 1 else (len(rows), *shape)
        if X.shape != expected or not fits_float32(X):
            return None
        return X.reshape((len(rows), *shape))
    return None


def _instances(body: bytes) -> list[Any]:
    """The instances of a JSON body, validated like the documented request schema."""
    try:
        data = json.loads(body)  # Python's parser: integers of any size reach the validator
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
