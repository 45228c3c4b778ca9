"""POST/GET/DELETE /v1/datasets: upload (CSV, NPZ or JSON), list, show, delete."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi import APIRouter, HTTPException, Request, Response, UploadFile
from pydantic import ValidationError

from service.api.deps import PageDep, SessionDep, SettingsDep, TenantDep
from service.api.limits import check_dataset_limits
from service.api.pagination import paginate
from service.data import (
    DatasetError,
    ParsedDataset,
    encode_target,
    parse_csv,
    parse_json,
    parse_npz,
)
from service.db.blobs import arrays_to_npz
from service.db.models import Dataset
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
                            "description": "CSV only: fill missing or non-finite feature "
                            "cells with the column's mean or median (default: refuse them)",
                        },
                    },
                },
                "example": {"name": "iris", "target": "species"},
            },
            "application/json": {
                "schema": {"$ref": "#/components/schemas/DatasetJSON"},
                "example": DatasetJSON.model_config["json_schema_extra"]["examples"][0],
            },
        },
    }
}


def _dataset_out(row: Dataset) -> DatasetOut:
    return DatasetOut.model_validate(row, from_attributes=True)


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """Read an upload in chunks, refusing (413) once it exceeds `limit` bytes."""
    chunks, size = [], 0
    while chunk := await upload.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"upload is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _task_param(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if value not in ("classification", "regression"):
        raise HTTPException(422, "task must be 'classification' or 'regression'")
    return str(value)


async def _parse_request(
    request: Request, limit: int
) -> tuple[ParsedDataset, str, str, str | None]:
    """(parsed data, name, format, task) from a multipart or JSON request."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/json"):
        raw = await request.body()
        if len(raw) > limit:
            raise HTTPException(413, f"upload is larger than the limit of {limit} bytes")
        try:
            body = DatasetJSON.model_validate(json.loads(raw))
        except json.JSONDecodeError as exc:
            raise HTTPException(400, f"body is not valid JSON: {exc}") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise HTTPException(422, f"{where}: {first['msg']}") from exc
        parsed = parse_json(body.model_dump(include={"X", "y", "feature_names", "target"}))
        return parsed, body.name, "json", body.task
    if not ctype.startswith("multipart/form-data"):
        raise HTTPException(
            415, "send multipart/form-data with a 'file' field, or application/json"
        )
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) and not hasattr(upload, "read"):
        raise HTTPException(422, "multipart field 'file' is required (a .csv or .npz file)")
    data = await _read_limited(upload, limit)
    filename = (upload.filename or "").lower()
    name = str(form.get("name") or upload.filename or "dataset")[:200]
    task = _task_param(form.get("task"))
    if filename.endswith(".npz") or data[:4] == b"PK\x03\x04":
        return parse_npz(data), name, "npz", task
    target = form.get("target")
    if not target:
        raise HTTPException(422, "field 'target' is required for CSV: the name of the label column")
    impute = form.get("impute") or None
    if impute is not None and impute not in ("mean", "median"):
        raise HTTPException(422, "field 'impute' must be 'mean' or 'median'")
    return parse_csv(data, str(target), impute=impute), name, "csv", task


@router.post("", status_code=201, response_model=DatasetOut, openapi_extra=UPLOAD_DOC)
async def upload_dataset(
    request: Request,
    session: SessionDep,
    tenant: TenantDep,
    settings: SettingsDep,
    response: Response,
) -> DatasetOut:
    """Upload a dataset: multipart `file` (+ `target` for CSV) or a JSON body {X, y}."""
    parsed, name, fmt, task = await _parse_request(request, settings.max_upload_bytes)
    check_dataset_limits(settings, int(parsed.X.shape[0]), int(np.prod(parsed.X.shape[1:])))
    encoded = encode_target(parsed.y_raw, task)
    X = np.ascontiguousarray(parsed.X, dtype=np.float32)
    if X.shape[0] != len(encoded.y):
        raise DatasetError(f"X has {X.shape[0]} rows but y has {len(encoded.y)} labels")
    blob = arrays_to_npz({"X": X, "y": encoded.y})
    row = Dataset(
        tenant_id=tenant.id,
        name=name,
        format=fmt,
        rows=int(X.shape[0]),
        features=int(np.prod(X.shape[1:])),
        input_shape=[int(d) for d in X.shape[1:]],
        feature_names=list(parsed.feature_names),
        target=parsed.target,
        task=encoded.task,
        classes=encoded.classes,
        size_bytes=len(blob),
        arrays=blob,
    )
    session.add(row)
    session.commit()
    response.headers["Location"] = f"/v1/datasets/{row.id}"
    return _dataset_out(row)


@router.get("", response_model=Page[DatasetOut])
def list_datasets(session: SessionDep, tenant: TenantDep, page: PageDep) -> Page[DatasetOut]:
    """The tenant's datasets, newest first."""
    return paginate(session, Dataset, [Dataset.tenant_id == tenant.id], page, _dataset_out)


def get_owned_dataset(session: SessionDep, tenant_id: str, dataset_id: str) -> Dataset:
    """The dataset if it belongs to the tenant; 404 otherwise (also for other tenants')."""
    row = session.get(Dataset, dataset_id)
    if row is None or row.tenant_id != tenant_id:
        raise HTTPException(404, f"dataset {dataset_id} not found")
    return row


@router.get("/{dataset_id}", response_model=DatasetOut)
def get_dataset(dataset_id: str, session: SessionDep, tenant: TenantDep) -> DatasetOut:
    """One dataset's metadata."""
    return _dataset_out(get_owned_dataset(session, tenant.id, dataset_id))


@router.delete("/{dataset_id}", status_code=204)
def delete_dataset(dataset_id: str, session: SessionDep, tenant: TenantDep) -> Response:
    """Delete a dataset (trained models keep working; queued jobs on it will fail)."""
    session.delete(get_owned_dataset(session, tenant.id, dataset_id))
    session.commit()
    return Response(status_code=204)
