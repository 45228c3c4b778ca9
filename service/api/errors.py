"""Errors as application/problem+json: what is wrong and where, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.data import DatasetError
from service.data.errors import DatasetTooLarge
from service.db.registry_repo import RegistryError
from service.jobs.plan_checks import SpecMismatch
from service.schemas.common import Problem
from service.schemas.network import LAYER_TAGS
from service.schemas.training import OPTION_TAGS

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def _problem_response(description: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"model": Problem, "description": description, "content": {PROBLEM: {"schema": schema}}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response("Malformed request"),
    401: _problem_response("Missing, unknown or revoked API key"),
    403: _problem_response("The key lacks the scope this route needs"),
    404: _problem_response("No such object for this tenant"),
    409: _problem_response("Conflicts with the object's state or an earlier request"),
    413: _problem_response("Request body over the size limit"),
    415: _problem_response("Unsupported content type"),
    422: _problem_response("Invalid input: the detail names the field, layer, row or column"),
    429: _problem_response("Over a rate or concurrency limit; see Retry-After"),
}
"""Documented on every /v1 route: errors are application/problem+json bodies."""


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An application/problem+json response: title from the status, detail, errors."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":  # loc holds a character offset
                at = (err.get("loc") or ("body", "?"))[-1]
                message = f"{err.get('msg', 'invalid JSON')} at character {at}"
                errors.append({"field": "body", "message": message})
                continue
            errors.append({"field": _loc(_without_tags(err.get("loc", ()))), "message": err["msg"]})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(422, detail or "invalid request", errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(DatasetError)
    async def _dataset(_: Request, exc: DatasetError) -> JSONResponse:
        where = {k: v for k, v in (("row", exc.row), ("column", exc.column)) if v is not None}
        status = 413 if isinstance(exc, DatasetTooLarge) else 422
        return problem(status, str(exc), [{"message": str(exc), **where}])

    @app.exception_handler(RegistryError)
    async def _registry(_: Request, exc: RegistryError) -> JSONResponse:
        return problem(exc.http_status, str(exc))

    @app.exception_handler(SpecMismatch)
    async def _spec(_: Request, exc: SpecMismatch) -> JSONResponse:
        return problem(422, exc.message, [{"field": _loc(exc.loc), "message": exc.message}])

    @app.exception_handler(DataError)
    async def _unstorable(_: Request, exc: DataError) -> JSONResponse:
        log.warning("refused a value the database cannot store: %s", exc.orig)
        return problem(
            422,
            "a value in the request cannot be stored (for example a NUL "
            "character or a number out of range)",
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal error; it has been logged")


def _without_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Pydantic puts discriminator tags like 'dense' in error paths; drop them. A tag never
    follows another tag, so in ('layers', 0, 'dense', 'activation') the field 'activation'
    (also a layer type) is kept."""
    out: list[Any] = []
    after_tag = False
    for part in loc:
        if not after_tag and isinstance(part, str) and part in LAYER_TAGS | OPTION_TAGS:
            after_tag = True
            continue
        out.append(part)
        after_tag = False
    return tuple(out)
