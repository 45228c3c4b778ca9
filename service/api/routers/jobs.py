"""POST/GET/DELETE /v1/jobs, history and cancellation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.api.deps import PageDep, PublisherDep, SessionDep, SettingsDep, TenantDep
from service.api.limits import check_concurrent_jobs, check_runtime_limit
from service.api.model_ref import refuse_if_registered
from service.api.ownership import get_owned, get_owned_dataset
from service.api.pagination import paginate
from service.db import job_cleanup, jobs_repo
from service.db.models import EpochRow, Job
from service.events import outbox
from service.jobs.plan import DatasetSummary, plan_job
from service.jobs.plan_checks import JobLimits
from service.schemas.common import Page
from service.schemas.jobs import CancelRequest, EpochOut, HistoryOut, JobCreate, JobOut, job_out
from service.worker.publish import publish_job

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

StatusFilter = Literal["queued", "running", "succeeded", "failed", "cancelled"]


def get_owned_job(session: SessionDep, tenant_id: str, job_id: str) -> Job:
    """The training job if it belongs to the tenant; 404 otherwise (and for scoring runs,
    which live under /v1/models/{id}/predictions)."""
    job = get_owned(session, Job, tenant_id, job_id, "job")
    if job.kind != "train":
        raise HTTPException(404, f"job {job_id[:64]} not found")
    return job


@router.post("", status_code=202, response_model=JobOut)
def create_job(
    body: JobCreate,
    session: SessionDep,
    tenant: TenantDep,
    settings: SettingsDep,
    publisher: PublisherDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=200, description="Same key and tenant: the same job, never two."),
    ] = None,
) -> JobOut:
    """Validate the spec against the dataset, commit the job as queued, then publish it."""
    spec = {"network": body.network.model_dump(), "training": body.training.model_dump()}
    if idempotency_key:
        existing = _job_for_key(session, tenant.id, idempotency_key)
        if existing is not None:
            return _replay(existing, body, spec, response)
    dataset = get_owned_dataset(session, tenant.id, body.dataset_id)
    check_concurrent_jobs(session, settings, tenant.id)
    check_runtime_limit(settings, body.max_runtime_seconds)
    plan_job(spec, DatasetSummary.of(dataset), JobLimits.of(settings))  # 422 if it cannot train
    job = jobs_repo.create_job(session, tenant.id, dataset.id, spec, settings.max_attempts)
    job.max_runtime_seconds = body.max_runtime_seconds
    job.idempotency_key = idempotency_key
    try:
        outbox.record_job_transition(session, job.id)  # job.queued, committed with the job
        session.commit()  # the row exists before any worker can hear of it
    except IntegrityError:  # a concurrent request with the same key won the insert
        session.rollback()
        existing = _job_for_key(session, tenant.id, idempotency_key or "")
        if existing is None:
            raise
        return _replay(existing, body, spec, response)
    publish_job(publisher, settings, job.id)
    session.refresh(job)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_out(job)


def _job_for_key(session: SessionDep, tenant_id: str, key: str) -> Job | None:
    query = select(Job).where(Job.tenant_id == tenant_id, Job.idempotency_key == key)
    return session.scalar(query)


def _replay(job: Job, body: JobCreate, spec: dict, response: Response) -> JobOut:
    """The job an earlier request with this Idempotency-Key made; 409 if the body differs."""
    if (
        job.dataset_id != body.dataset_id
        or job.spec != spec
        or job.max_runtime_seconds != body.max_runtime_seconds
    ):
        raise HTTPException(
            409, "Idempotency-Key was already used for a different job request; use a new key"
        )
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    response.headers["Idempotent-Replayed"] = "true"
    return job_out(job)


@router.get("", response_model=Page[JobOut])
def list_jobs(
    session: SessionDep, tenant: TenantDep, page: PageDep, status: StatusFilter | None = None
) -> Page[JobOut]:
    """The tenant's training jobs, newest first, optionally only those with `status`."""
    where = [Job.tenant_id == tenant.id, Job.kind == "train"]
    if status:
        where.append(Job.status == status)
    return paginate(session, Job, where, page, job_out)


@router.get("/{job_id}", response_model=JobOut)
def get_job(job_id: str, session: SessionDep, tenant: TenantDep) -> JobOut:
    """Status, progress, latest metrics, error and model id."""
    return job_out(get_owned_job(session, tenant.id, job_id))


@router.get("/{job_id}/history", response_model=HistoryOut)
def get_history(job_id: str, session: SessionDep, tenant: TenantDep) -> HistoryOut:
    """One record per finished epoch, in order, written while the job trains."""
    job = get_owned_job(session, tenant.id, job_id)
    rows = session.scalars(
        select(EpochRow).where(EpochRow.job_id == job.id).order_by(EpochRow.epoch)
    )
    epochs = [
        EpochOut(
            epoch=r.epoch, loss=r.loss, val_loss=r.val_loss, metrics=r.metrics, seconds=r.seconds
        )
        for r in rows
    ]
    return HistoryOut(job_id=job.id, status=job.status, epochs=epochs)


@router.post("/{job_id}/cancel", status_code=202, response_model=JobOut)
def cancel_job(
    job_id: str, session: SessionDep, tenant: TenantDep, body: CancelRequest | None = None
) -> JobOut:
    """Cancel: a queued job at once, a running one between two mini-batches.

    With {"keep_model": true} the job saves its last finished epoch as a model when it
    stops (a queued job that already trained is left for a worker to do so).
    """
    job = get_owned_job(session, tenant.id, job_id)
    if job.status in jobs_repo.TERMINAL:
        raise HTTPException(409, f"job {job_id} is already {job.status}")
    jobs_repo.request_cancel(session, job.id, keep_model=bool(body and body.keep_model))
    session.refresh(job)
    return job_out(job)


@router.delete("/{job_id}", status_code=204)
def delete_job(
    job_id: str,
    session: SessionDep,
    tenant: TenantDep,
    request: Request,
    delete_model: Annotated[
        bool, Query(description="Also delete the model the job trained (kept by default).")
    ] = False,
) -> Response:
    """Delete a finished job with its history, runs and checkpoint; its model stays unless
    `delete_model=true`. A queued or running job is a 409: cancel it first."""
    job = get_owned_job(session, tenant.id, job_id)
    if job.status not in jobs_repo.TERMINAL:
        raise HTTPException(
            409,
            f"job {job_id} is {job.status}; cancel it first (POST /v1/jobs/{job_id}/cancel) "
            "and delete it once it has stopped",
        )
    if delete_model and job.model_id:
        refuse_if_registered(session, job.model_id)
    deleted = job_cleanup.delete_finished_job(session, job.id, delete_model=delete_model)
    if deleted is None:  # deleted by a concurrent request in between
        raise HTTPException(404, f"job {job_id} not found")
    if deleted.model_id:
        request.app.state.model_cache.drop(deleted.model_id)
    return Response(status_code=204)
