"""GET/DELETE /v1/models, weights download and predictions."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.api import model_ref
from service.api.deps import PageDep, SessionDep, TenantDep
from service.api.model_ref import ModelRef
from service.api.pagination import paginate
from service.api.predict_body import predict_request
from service.db import registry_repo
from service.db.lineage_repo import lineage_of
from service.db.models import TrainedModel
from service.jobs.resolved import resolved_spec
from service.schemas.common import Page
from service.schemas.models import PREDICT_BODY, ModelOut, PredictResponse
from service.schemas.registry import Lineage, RegistryEntry
from service.serving.archive import model_archive

router = APIRouter(prefix="/v1/models", tags=["models"])


def model_out(row: TrainedModel, registry: list[dict] | None = None) -> ModelOut:
    """The public view of a model row (without its weights): defaults filled in, and where
    it is registered."""
    out = ModelOut.model_validate(row, from_attributes=True)
    spec = resolved_spec({"network": out.network, "training": out.training}, out.task)
    entries = [RegistryEntry.model_validate(e) for e in registry or []]
    return out.model_copy(update={**spec, "registered_as": entries})


def get_owned_model(session: SessionDep, tenant_id: str, model_id: str) -> TrainedModel:
    """The model a reference (id, name@alias, name@version) stands for if it belongs to the
    tenant; 404 otherwise."""
    return model_ref.get_owned_model(session, tenant_id, model_id)


@router.get("", response_model=Page[ModelOut])
def list_models(session: SessionDep, tenant: TenantDep, page: PageDep) -> Page[ModelOut]:
    """The tenant's trained models, newest first."""
    rows = paginate(session, TrainedModel, [TrainedModel.tenant_id == tenant.id], page, lambda r: r)
    entries = registry_repo.entries_for_models(session, [r.id for r in rows.items])
    items = [model_out(r, entries.get(r.id)) for r in rows.items]
    return Page(items=items, total=rows.total, limit=rows.limit, offset=rows.offset)


@router.get("/{model_id}", response_model=ModelOut)
def get_model(model_id: ModelRef, session: SessionDep, tenant: TenantDep) -> ModelOut:
    """Spec, layer shapes and parameter counts, metrics, input schema, classes, lineage and
    registry entries."""
    row = get_owned_model(session, tenant.id, model_id)
    out = model_out(row, registry_repo.entries_for_models(session, [row.id]).get(row.id))
    if out.lineage is None:
        legacy = lineage_of(session, row)
        out.lineage = Lineage.model_validate(legacy) if legacy else None
    if out.lineage is not None and out.lineage.spec:  # the values used, as the job shows them
        out.lineage.spec = resolved_spec(out.lineage.spec, out.task)
    return out


@router.delete("/{model_id}", status_code=204)
def delete_model(
    model_id: ModelRef, session: SessionDep, tenant: TenantDep, request: Request
) -> Response:
    """Delete a trained model; 409 while a registry version points at it."""
    row = get_owned_model(session, tenant.id, model_id)
    model_ref.refuse_if_registered(session, row.id)
    session.delete(row)
    session.commit()
    request.app.state.model_cache.drop(row.id)
    return Response(status_code=204)


@router.get(
    "/{model_id}/weights",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_weights(model_id: ModelRef, session: SessionDep, tenant: TenantDep) -> Response:
    """The model as an .npz file of plain arrays (no pickle) that works without the service:
    weights keyed like layers.0.W, the preprocessing (mean and std of the features, target
    scaling, class labels, imputation values) and spec.json, the spec as UTF-8 JSON bytes."""
    row = get_owned_model(session, tenant.id, model_id)
    return Response(
        model_archive(row),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="model-{row.id}.npz"'},
    )


@router.post(
    "/{model_id}/predict",
    response_model=PredictResponse,
    response_model_exclude_none=True,
    openapi_extra=PREDICT_BODY,
    responses={408: {"description": "The request body stalled"}},
)
async def predict_route(model_id: ModelRef, tenant: TenantDep, request: Request) -> Response:
    """Predict labels (and class probabilities) or values for rows of features: a JSON
    body, or for big batches an .npy array (application/x-npy) or an .npz archive with
    member X (application/x-npz).

    A small body for a small network is answered on the event loop; everything else
    (parsing, the forward pass, writing the answer) runs in a worker thread. `name@alias`
    follows the alias within registry_ref_seconds.
    """
    content = await predict_request(request, tenant.id, model_id)
    return Response(content, media_type="application/json")
