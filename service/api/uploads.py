"""Read a dataset upload (multipart CSV/NPZ or JSON) into a ParsedDataset.

Multipart files are streamed to a scratch file (never held whole in memory while they
arrive); large NPZ archives are imported straight to memory-mappable files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from fastapi import HTTPException, Request, UploadFile
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from service.config import Settings
from service.data import ParsedDataset, parse_csv, parse_json, parse_npz
from service.data.columns import parse_name_list
from service.data.dataset import Limits
from service.data.errors import DatasetTooLarge
from service.data.npz_file import import_npz_file
from service.db.files import dataset_dir, upload_dir
from service.schemas.datasets import DatasetJSON

COPY_CHUNK = 1 << 20


def clean_name(name: str) -> str:
    """A display name without control characters (NUL cannot be stored), at most 200 chars."""
    return "".join(ch for ch in name if ch.isprintable())[:200] or "dataset"


@dataclass
class Upload:
    """A parsed upload, how it came in and where its arrays will be kept."""

    parsed: ParsedDataset
    name: str
    format: str
    task: str | None
    storage: str  # "db" or "file"


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"upload is larger than the limit of {limit} bytes")


async def _spool(upload: UploadFile, target: Path) -> int:
    """Copy the upload to `target` in chunks; returns its size. (BodyLimitMiddleware has
    already refused a request body over BACKPROP_MAX_UPLOAD_BYTES while it streamed in.)"""
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(COPY_CHUNK):
            size += len(chunk)
            out.write(chunk)
    return size


def _task_param(value: object) -> str | None:
    if value in (None, ""):
        return None
    if value not in ("classification", "regression"):
        raise HTTPException(422, "task must be 'classification' or 'regression'")
    return str(value)


def _limits(settings: Settings, max_bytes: int | None) -> Limits:
    return Limits(settings.max_dataset_rows, settings.max_dataset_columns, max_bytes)


def _json_body(raw: bytearray) -> DatasetJSON:
    """The JSON body as a DatasetJSON; 400/422 naming what is wrong with it."""
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise HTTPException(
            422,
            f"body is not valid UTF-8 text: invalid byte 0x{exc.object[exc.start]:02x} at "
            f"offset {exc.start}",
        ) from None
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise HTTPException(400, "body is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise HTTPException(400, f"body is not valid JSON: {str(exc).split(';')[0]}") from None
    try:
        return DatasetJSON.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise HTTPException(422, f"{where}: {first['msg']}") from None


async def read_upload(request: Request, settings: Settings, dataset_id: str) -> Upload:
    """Parse the request body; files of a large NPZ go to the dataset's own folder.

    Parsing is bounded: CSV, JSON and inline NPZ uploads are refused (413) when their
    parsed features would exceed BACKPROP_MAX_PARSED_BYTES, and every format is refused
    (422) as soon as it shows more rows or features than the dataset limits allow.
    """
    try:
        return await _read_upload(request, settings, dataset_id)
    except DatasetTooLarge as exc:
        raise HTTPException(413, exc.message) from None


async def _read_upload(request: Request, settings: Settings, dataset_id: str) -> Upload:
    limit = settings.max_upload_bytes
    ctype = request.headers.get("content-type", "")
    parsed_limit = min(limit, settings.max_parsed_bytes)
    limits = _limits(settings, parsed_limit)
    if ctype.startswith("application/json"):
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > parsed_limit:
            raise _too_large(parsed_limit)
        buffer = bytearray()
        async for chunk in request.stream():
            buffer += chunk
            if len(buffer) > parsed_limit:
                raise _too_large(parsed_limit)
        body = await run_in_threadpool(_json_body, buffer)  # large: not on the event loop
        content = {
            "X": body.X,
            "y": body.y,
            "feature_names": body.feature_names,
            "target": body.target,
        }
        del buffer
        parsed = await run_in_threadpool(
            parse_json,
            content,
            limits,
            categorical=body.categorical,
            ignore=body.ignore,
            impute=body.impute,
        )
        return Upload(parsed, clean_name(body.name), "json", body.task, "db")
    if not ctype.startswith("multipart/form-data"):
        raise HTTPException(
            415, "send multipart/form-data with a 'file' field, or application/json"
        )
    form = await request.form(max_files=1, max_fields=10, max_part_size=1024 * 1024)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) and not hasattr(upload, "read"):
        raise HTTPException(422, "multipart field 'file' is required (a .csv or .npz file)")
    name = clean_name(str(form.get("name") or upload.filename or "dataset"))
    task = _task_param(form.get("task"))
    scratch = upload_dir(settings.data_dir) / f"{dataset_id}.part"
    try:
        size = await _spool(upload, scratch)
        with scratch.open("rb") as fp:
            head = fp.read(4)
        if (upload.filename or "").lower().endswith(".npz") or head == b"PK\x03\x04":
            if size > settings.dataset_inline_bytes:
                folder = dataset_dir(settings.data_dir, dataset_id)
                on_disk = _limits(settings, None)  # X is a memory map: no parsed-size limit
                parsed = await run_in_threadpool(import_npz_file, scratch, folder, limit, on_disk)
                return Upload(parsed, name, "npz", task, "file")
            parsed = await run_in_threadpool(parse_npz, scratch.read_bytes(), parsed_limit, limits)
            return Upload(parsed, name, "npz", task, "db")
        if size > parsed_limit:
            raise HTTPException(
                413,
                f"CSV uploads are limited to {parsed_limit} bytes (they are parsed in "
                "memory); send a large dataset as an .npz file with arrays X and y",
            )
        target = form.get("target")
        if isinstance(target, str) and len(target) > 200:
            raise HTTPException(422, "field 'target' is longer than 200 characters")
        if not target:
            raise HTTPException(
                422, "field 'target' is required for CSV: the name of the label column"
            )
        impute = form.get("impute") or None
        if impute is not None and impute not in ("mean", "median"):
            raise HTTPException(422, "field 'impute' must be 'mean' or 'median'")
        parsed = await run_in_threadpool(
            partial(
                parse_csv,
                categorical=parse_name_list(_text_field(form, "categorical"), "categorical"),
                ignore=parse_name_list(_text_field(form, "ignore"), "ignore"),
            ),
            scratch.read_bytes(),
            str(target),
            impute,
            limits,
        )
        return Upload(parsed, name, "csv", task, "db")
    finally:
        if scratch.exists():
            os.unlink(scratch)


def _text_field(form: object, name: str) -> str | None:
    """A short text form field (column lists); 422 when it is a file or too long."""
    value = form.get(name)  # type: ignore[attr-defined]
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 100_000:
        raise HTTPException(422, f"field '{name}' must be a comma-separated list of column names")
    return value
