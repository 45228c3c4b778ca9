"""POST/GET /v1/searches, trials, cancel and delete: hyperparameter searches over jobs."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import delete, func, select

from service.api.deps import PageDep, PublisherDep, SessionDep, SettingsDep, TenantDep
from service.api.limits import check_runtime_limit
from service.api.ownership import get_owned, get_owned_dataset
from service.api.pagination import paginate
from service.config import Settings
from service.db.models import Job, Search
from service.jobs.plan import DatasetSummary
from service.jobs.plan_checks import JobLimits
from service.schemas.common import Page
from service.schemas.searches import SearchCreate, SearchOut, TrialsOut
from service.search.check import SearchLimits, check_search
from service.search.scheduler import TERMINAL
from service.search.views import search_out, trials_out
from service.worker.searches import advance_and_publish

router = APIRouter(prefix="/v1/searches", tags=["searches"])


def get_owned_search(session: SessionDep, tenant_id: str, search_id: str) -> Search:
    return get_owned(session, Search, tenant_id, search_id, "search")


def check_concurrent_searches(session: SessionDep, settings: Settings, tenant_id: str) -> None:
    """429 with Retry-After when the tenant already has too many unfinished searches."""
    active = session.scalar(
        select(func.count())
        .select_from(Search)
        .where(Search.tenant_id == tenant_id, Search.status.in_(("queued", "running")))
    )
    if (active or 0) >= settings.max_concurrent_searches:
        raise HTTPException(
            429,
            f"{active} searches are queued or running; the limit per tenant is "
            f"{settings.max_concurrent_searches}. Retry when one has finished.",
            headers={"Retry-After": "30"},
        )


@router.post("", status_code=202, response_model=SearchOut)
def create_search(
    body: SearchCreate,
    session: SessionDep,
    tenant: TenantDep,
    settings: SettingsDep,
    publisher: PublisherDep,
    response: Response,
) -> SearchOut:
    """Check the space against the job body and the corners of the space through the job
    plan, store the search, then start its first `parallelism` trials."""
    dataset = get_owned_dataset(session, tenant.id, body.dataset_id)
    check_runtime_limit(settings, body.max_runtime_seconds)
    limits = SearchLimits(settings.max_search_trials, settings.max_search_parallelism)
    checked = check_search(body, DatasetSummary.of(dataset), JobLimits.of(settings), limits)
    check_concurrent_searches(session, settings, tenant.id)
    search = Search(
        tenant_id=tenant.id,
        dataset_id=dataset.id,
        status="queued",
        body={**checked.spec, "max_runtime_seconds": body.max_runtime_seconds},
        space=body.space,
        strategy=body.strategy.model_dump(),
        objective=checked.objective,
        pruning=body.pruning.model_dump() if body.pruning else None,
        total_trials=checked.total_trials,
        parallelism=body.strategy.parallelism,
        cancel_requested=False,
        version=0,
    )
    session.add(search)
    session.commit()  # the search exists before any trial does
    advance_and_publish(settings, publisher, search.id)
    session.refresh(search)
    response.headers["Location"] = f"/v1/searches/{search.id}"
    return search_out(session, search)


@router.get("", response_model=Page[SearchOut])
def list_searches(session: SessionDep, tenant: TenantDep, page: PageDep) -> Page[SearchOut]:
    """The tenant's searches, newest first."""
    where = [Search.tenant_id == tenant.id]
    return paginate(session, Search, where, page, lambda s: search_out(session, s))


@router.get("/{search_id}", response_model=SearchOut)
def get_search(search_id: str, session: SessionDep, tenant: TenantDep) -> SearchOut:
    """Status, trial counts, progress, ETA and the best trial so far."""
    return search_out(session, get_owned_search(session, tenant.id, search_id))


@router.get("/{search_id}/trials", response_model=TrialsOut)
def get_trials(search_id: str, session: SessionDep, tenant: TenantDep) -> TrialsOut:
    """Every trial: params, status, objective value, epochs run, job and model."""
    return trials_out(session, get_owned_search(session, tenant.id, search_id))


@router.post("/{search_id}/cancel", status_code=202, response_model=SearchOut)
def cancel_search(
    search_id: str,
    session: SessionDep,
    tenant: TenantDep,
    settings: SettingsDep,
    publisher: PublisherDep,
) -> SearchOut:
    """Start no more trials; queued ones end at once, running ones between mini-batches."""
    search = get_owned_search(session, tenant.id, search_id)
    if search.status in TERMINAL:
        raise HTTPException(409, f"search {search_id} is already {search.status}")
    search.cancel_requested = True
    session.commit()
    advance_and_publish(settings, publisher, search.id)
    session.refresh(search)
    return search_out(session, search)


@router.delete("/{search_id}", status_code=204)
def delete_search(search_id: str, session: SessionDep, tenant: TenantDep) -> Response:
    """Remove a finished search and its trial jobs (with their histories); the trials'
    models stay, like any job's, until deleted through /v1/models."""
    search = get_owned_search(session, tenant.id, search_id)
    if search.status not in TERMINAL:
        raise HTTPException(
            409, f"search {search_id} is {search.status}; cancel it and delete it once it ended"
        )
    session.execute(delete(Job).where(Job.search_id == search.id))
    session.delete(search)
    session.commit()
    return Response(status_code=204)
