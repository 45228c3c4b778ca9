"""POST/GET/DELETE /v1/datasets: upload (CSV, NPZ or JSON), list, show, delete."""

from __future__ import annotations

import numpy as np
from fastapi import APIRouter, Request, Response
from pydantic_core import PydanticSerializationError
from starlette.concurrency import run_in_threadpool

from service.api.deps import PageDep, SessionDep, SettingsDep, TenantDep
from service.api.limits import check_dataset_limits
from service.api.ownership import get_owned_dataset
from service.api.pagination import paginate
from service.api.uploads import Upload, read_upload
from service.config import Settings
from service.data import (
    DatasetError,
    encode_target,
)
from service.data.columns import check_cardinality, columns_from_json
from service.data.fingerprint import arrays_sha256
from service.data.summary import value_range
from service.data.values import first_bad_text
from service.db import files as dataset_files
from service.db.blobs import arrays_to_npz
from service.db.models import Dataset, new_id
from service.schemas.common import Page
from service.schemas.datasets import DatasetJSON, DatasetOut

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": ".csv (header row) or .npz (arrays X and y)",
                        },
                        "name": {"type": "string"},
                        "target": {
                            "type": "string",
                            "description": "CSV only: the label column, wherever it is",
                        },
                        "task": {"type": "string", "enum": ["classification", "regression"]},
                        "impute": {
                            "type": "string",
                            "enum": ["mean", "median"],
                            "description": "CSV only: fill missing or non-finite numeric "
                            "cells with the mean or median of each job's training rows "
                            "(default: refuse them)",
                        },
                        "categorical": {
                            "type": "string",
                            "description": "CSV only: comma-separated columns to read as "
                            "categories even when they hold numbers (zip codes, level ids)",
                        },
                        "ignore": {
                            "type": "string",
                            "description": "CSV only: comma-separated columns to leave out",
                        },
                    },
                },
                "example": {"name": "iris", "target": "species"},
            },
            "application/json": {
                # inline: FastAPI only lists models that routes declare under components
                "schema": DatasetJSON.model_json_schema(),
                "example": DatasetJSON.model_config["json_schema_extra"]["examples"][0],
            },
        },
    }
}


def _dataset_out(row: Dataset) -> DatasetOut:
    """The response for a row. Text that is not valid Unicode (possible in rows stored
    before labels were checked) is shown escaped, so one such row can't break a listing."""
    out = _out(row)
    classes = [c for c in out.classes or [] if isinstance(c, str)]
    if first_bad_text([out.name, out.target, *out.feature_names, *classes]) is None:
        return out
    return out.model_copy(
        update={
            "name": _escaped(out.name),
            "target": _escaped(out.target),
            "feature_names": [_escaped(s) for s in out.feature_names],
            "classes": None
            if out.classes is None
            else [_escaped(c) if isinstance(c, str) else c for c in out.classes],
        }
    )


def _out(row: Dataset) -> DatasetOut:
    """The row as stored, with each column's levels cut to the first few."""
    columns = columns_from_json(row.columns)
    return DatasetOut.model_validate(
        {
            **{name: getattr(row, name) for name in DatasetOut.model_fields},
            "columns": None if columns is None else [c.summary() for c in columns],
            "notes": row.notes or [],
        }
    )


def _escaped(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _response(row: Dataset) -> DatasetOut:
    """The upload's response, serialised once before the commit: a value JSON can't carry
    (e.g. an unpaired surrogate) is then a 422 with nothing stored, not a 500 after it."""
    out = _out(row)
    try:
        out.model_dump_json()
    except PydanticSerializationError as exc:
        raise DatasetError(f"the dataset cannot be sent back as JSON: {exc}") from None
    return out


@router.post("", status_code=201, response_model=DatasetOut, openapi_extra=UPLOAD_DOC)
async def upload_dataset(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    settings: SettingsDep,
    response: Response,
) -> DatasetOut:
    """Upload a dataset: multipart `file` (+ `target` for CSV) or a JSON body {X, y}.

    NPZ files larger than BACKPROP_DATASET_INLINE_BYTES are kept as memory-mappable files
    in the data directory; everything else is stored in the database.
    """
    dataset_id = new_id()
    try:
        upload = await read_upload(request, settings, dataset_id)
        row = await run_in_threadpool(_store, upload, dataset_id, tenant.id, settings)
        session.add(row)
        session.flush()  # fills in created_at
        out = _response(row)
        session.commit()
    except BaseException:
        session.rollback()
        dataset_files.remove(settings.data_dir, dataset_id)
        raise
    response.headers["Location"] = f"/v1/datasets/{row.id}"
    return out


def _store(upload: Upload, dataset_id: str, tenant_id: str, settings: Settings) -> Dataset:
    """Check limits, encode the target and build the row (writing y.npy for file storage)."""
    parsed = upload.parsed
    rows, features = int(parsed.X.shape[0]), int(np.prod(parsed.X.shape[1:]))
    check_dataset_limits(settings, rows, features)
    for column in parsed.columns or []:
        check_cardinality(column, rows, settings.max_categories)
    encoded = encode_target(parsed.y_raw, upload.task)
    if rows != len(encoded.y):
        raise DatasetError(f"X has {rows} rows but y has {len(encoded.y)} labels")
    if upload.storage == "file":
        np.save(dataset_files.dataset_dir(settings.data_dir, dataset_id) / "y.npy", encoded.y)
        blob, size = None, int(parsed.X.nbytes + encoded.y.nbytes)
        X = parsed.X
    else:
        X = np.ascontiguousarray(parsed.X, dtype=np.float32)
        blob = arrays_to_npz({"X": X, "y": encoded.y})
        size = len(blob)
    return Dataset(
        id=dataset_id,
        tenant_id=tenant_id,
        name=upload.name,
        format=upload.format,
        rows=rows,
        features=features,
        input_shape=[int(d) for d in parsed.X.shape[1:]],
        feature_names=list(parsed.feature_names),
        target=parsed.target,
        task=encoded.task,
        classes=encoded.classes,
        size_bytes=size,
        storage=upload.storage,
        value_range=parsed.value_range or value_range(parsed.X),
        columns=None if parsed.columns is None else [c.to_dict() for c in parsed.columns],
        impute=parsed.impute,
        notes=parsed.notes or None,
        ignored=parsed.ignored or None,
        content_sha256=arrays_sha256(X, encoded.y),
        arrays=blob,
    )


@router.get("", response_model=Page[DatasetOut])
def list_datasets(session: SessionDep, tenant: TenantDep, page: PageDep) -> Page[DatasetOut]:
    """The tenant's datasets, newest first."""
    return paginate(session, Dataset, [Dataset.tenant_id == tenant.id], page, _dataset_out)


@router.get("/{dataset_id}", response_model=DatasetOut)
def get_dataset(dataset_id: str, session: SessionDep, tenant: TenantDep) -> DatasetOut:
    """One dataset's metadata."""
    return _dataset_out(get_owned_dataset(session, tenant.id, dataset_id))


@router.delete("/{dataset_id}", status_code=204)
def delete_dataset(
    dataset_id: str, session: SessionDep, tenant: TenantDep, settings: SettingsDep
) -> Response:
    """Delete a dataset (trained models keep working; queued jobs on it will fail)."""
    row = get_owned_dataset(session, tenant.id, dataset_id)
    session.delete(row)
    session.commit()
    dataset_files.remove(settings.data_dir, dataset_id)
    return Response(status_code=204)
