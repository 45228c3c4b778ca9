"""POST /v1/models/{id}/evaluate: a model's metrics on a stored data set."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from service.api.deps import SessionDep, TenantDep
from service.api.model_ref import ModelRef, get_owned_model
from service.api.ownership import get_owned
from service.db import files as dataset_files
from service.db.blobs import npz_to_arrays
from service.db.models import Dataset
from service.schemas.evaluate import EvaluateRequest, EvaluateResponse
from service.serving.evaluate import EvalData, evaluate
from service.serving.model import load_model

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.post(
    "/{model_id}/evaluate", response_model=EvaluateResponse, response_model_exclude_none=True
)
def evaluate_route(
    model_id: ModelRef,
    body: EvaluateRequest,
    session: SessionDep,
    tenant: TenantDep,
    request: Request,
) -> dict[str, Any]:
    """Score the model on a stored data set of the same tenant, in chunks (plain def: runs
    in a worker thread). 422 names a model column the data set lacks, a label the model
    does not know, or a target of the other task."""
    row = get_owned_model(session, tenant.id, model_id)  # an id, name@alias or name@version
    model_id = row.id
    dataset = get_owned(session, Dataset, tenant.id, body.dataset_id, "dataset")
    cache = request.app.state.model_cache
    loaded = cache.get(model_id)
    if loaded is None:
        loaded = load_model(row)
        cache.put(model_id, loaded)
    if dataset.storage == "file":
        arrays = dataset_files.open_arrays(request.app.state.settings.data_dir, dataset.id)
    else:
        arrays = npz_to_arrays(dataset.arrays)
    data, ids = EvalData.of(dataset, arrays), {"model_id": row.id, "dataset_id": dataset.id}
    session.close()  # nothing more to read: free the connection while scoring
    return {**ids, **evaluate(loaded, data, importance=body.importance, seed=body.seed)}
