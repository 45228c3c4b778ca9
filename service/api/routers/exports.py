"""GET /v1/models/{id}/export: the model as a portable file (ONNX)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from service.api.deps import SessionDep, TenantDep
from service.api.model_ref import ModelRef, get_owned_model
from service.serving.onnx_export import FORMATS

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.get(
    "/{model_id}/export",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def export_model(
    model_id: ModelRef,
    session: SessionDep,
    tenant: TenantDep,
    fmt: Annotated[
        str, Query(alias="format", description=f"One of: {', '.join(FORMATS)}.")
    ] = "onnx",
) -> Response:
    """The model as a self-contained ONNX file (opset 17): input scaling, the network,
    and outputs `predictions` and (classifiers) `probabilities`, as predict answers."""
    if fmt not in FORMATS:
        raise HTTPException(
            422, f"format {fmt[:40]!r} is not supported; formats: {', '.join(FORMATS)}"
        )
    row = get_owned_model(session, tenant.id, model_id)  # an id, name@alias or name@version
    # imported here: onnx takes about a second to import, which only exports should pay
    from service.serving.onnx_export.model import export_onnx
    from service.serving.onnx_export.source import source_from_row

    return Response(
        export_onnx(source_from_row(row)),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="model-{row.id}.onnx"'},
    )
