"""GET/DELETE /v1/models, weights download and predictions."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from service.api.deps import PageDep, SessionDep, TenantDep
from service.api.ownership import get_owned
from service.api.pagination import paginate
from service.db.models import TrainedModel
from service.db.session import session_factory
from service.predict import LoadedModel, ModelCache, load_model, predict
from service.schemas.common import Page
from service.schemas.models import ModelOut, PredictRequest, PredictResponse

router = APIRouter(prefix="/v1/models", tags=["models"])


def model_out(row: TrainedModel) -> ModelOut:
    """The public view of a model row (without its weights)."""
    return ModelOut.model_validate(row, from_attributes=True)


def get_owned_model(session: SessionDep, tenant_id: str, model_id: str) -> TrainedModel:
    """The model if it belongs to the tenant; 404 otherwise."""
    return get_owned(session, TrainedModel, tenant_id, model_id, "model")


@router.get("", response_model=Page[ModelOut])
def list_models(session: SessionDep, tenant: TenantDep, page: PageDep) -> Page[ModelOut]:
    """The tenant's trained models, newest first."""
    return paginate(session, TrainedModel, [TrainedModel.tenant_id == tenant.id], page, model_out)


@router.get("/{model_id}", response_model=ModelOut)
def get_model(model_id: str, session: SessionDep, tenant: TenantDep) -> ModelOut:
    """Spec, layer shapes and parameter counts, metrics, input schema and classes."""
    return model_out(get_owned_model(session, tenant.id, model_id))


@router.delete("/{model_id}", status_code=204)
def delete_model(
    model_id: str, session: SessionDep, tenant: TenantDep, request: Request
) -> Response:
    """Delete a trained model."""
    session.delete(get_owned_model(session, tenant.id, model_id))
    session.commit()
    request.app.state.model_cache.drop(model_id)
    return Response(status_code=204)


@router.get(
    "/{model_id}/weights",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_weights(model_id: str, session: SessionDep, tenant: TenantDep) -> Response:
    """The weights as an .npz file (plain arrays, no pickle), keyed like layers.0.W."""
    row = get_owned_model(session, tenant.id, model_id)
    return Response(
        row.weights,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="model-{row.id}.npz"'},
    )


@router.post(
    "/{model_id}/predict", response_model=PredictResponse, response_model_exclude_none=True
)
async def predict_route(
    model_id: str, body: PredictRequest, tenant: TenantDep, request: Request
) -> JSONResponse:
    """Predict labels (and class probabilities) or values for rows of features.

    A cached model answers on the event loop; the first use loads it in a worker thread,
    and so do large batches.
    """
    cache: ModelCache = request.app.state.model_cache
    loaded = cache.get(model_id)
    if loaded is not None and loaded.tenant_id != tenant.id:
        raise HTTPException(404, f"model {model_id} not found")
    max_age = request.app.state.settings.model_cache_check_seconds
    if loaded is not None and time.monotonic() - loaded.checked_at >= max_age:
        # another API process may have deleted it: confirm now and then, not per request
        if not await run_in_threadpool(_exists, request, tenant.id, model_id):
            cache.drop(model_id)
            raise HTTPException(404, f"model {model_id} not found")
        loaded.checked_at = time.monotonic()
    if loaded is None:
        loaded = await run_in_threadpool(_load_into_cache, request, tenant.id, model_id)
    if len(body.instances) > INLINE_ROWS:
        return JSONResponse(await run_in_threadpool(predict, loaded, body.instances))
    return JSONResponse(predict(loaded, body.instances))  # already the documented shape


INLINE_ROWS = 64
"""Up to this many rows are predicted on the event loop (well under a millisecond)."""


def _exists(request: Request, tenant_id: str, model_id: str) -> bool:
    settings = request.app.state.settings
    with session_factory(settings.sqlalchemy_url)() as session:
        found = session.scalar(
            select(TrainedModel.id).where(
                TrainedModel.id == model_id, TrainedModel.tenant_id == tenant_id
            )
        )
    return found is not None


def _load_into_cache(request: Request, tenant_id: str, model_id: str) -> LoadedModel:
    settings = request.app.state.settings
    with session_factory(settings.sqlalchemy_url)() as session:
        loaded = load_model(get_owned_model(session, tenant_id, model_id))
    request.app.state.model_cache.put(model_id, loaded)
    return loaded
