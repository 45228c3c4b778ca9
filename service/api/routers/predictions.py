"""Batch scoring: POST/GET /v1/models/{id}/predictions, the CSV download, cancel, delete.

A scoring run is a job row of kind "score" (service.db.scoring_repo): the same queue,
leases, reaper and restarts as training jobs. The data set is checked against the model
before anything is queued, so a data set the model cannot read is a 422 at POST.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import StreamingResponse

from service.api.deps import PublisherDep, SessionDep, SettingsDep, TenantDep
from service.api.limits import check_concurrent_jobs
from service.api.model_ref import ModelRef, get_owned_model, resolve_model_id
from service.api.ownership import get_owned, get_owned_dataset
from service.db import job_cleanup, jobs_repo, scoring_repo
from service.db.models import Job
from service.db.session import session_factory
from service.schemas.predictions import ScoreRequest, ScoreRunOut
from service.serving.batch_scoring import BatchScorer, ScoringSource
from service.serving.model import load_model
from service.worker.publish import publish_job

router = APIRouter(prefix="/v1/models", tags=["batch scoring"])


def run_path(run: Job) -> str:
    return f"/v1/models/{run.model_id}/predictions/{run.id}"


def run_out(run: Job) -> ScoreRunOut:
    """The public view of a scoring run."""
    progress = run.progress or {"rows": 0, "total": 0, "fraction": 0.0}
    return ScoreRunOut(
        id=run.id,
        model_id=run.model_id or "",
        dataset_id=run.dataset_id,
        status=run.status,  # type: ignore[arg-type]
        attempt=run.attempt,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        progress={k: progress[k] for k in ("rows", "total", "fraction")},  # type: ignore[arg-type]
        error=run.error,
        cancel_requested=run.cancel_requested,
        warnings=(run.metrics or {}).get("unseen_levels", []),
        download=f"{run_path(run)}/download" if run.status == "succeeded" else None,
    )


def get_owned_run(session: SessionDep, tenant_id: str, model_id: str, run_id: str) -> Job:
    """The tenant's scoring run of this model (an id, name@alias or name@version); 404
    otherwise (also for training jobs)."""
    run = get_owned(session, Job, tenant_id, run_id, "scoring run")
    if run.kind != scoring_repo.SCORE or run.model_id != resolve_model_id(
        session, tenant_id, model_id
    ):
        raise HTTPException(404, f"scoring run {run_id[:64]} not found")
    return run


@router.post("/{model_id}/predictions", status_code=202, response_model=ScoreRunOut)
def create_score_run(
    model_id: ModelRef,
    body: ScoreRequest,
    session: SessionDep,
    tenant: TenantDep,
    settings: SettingsDep,
    publisher: PublisherDep,
    request: Request,
    response: Response,
) -> ScoreRunOut:
    """Queue scoring of a stored data set; 202 with Location of the run. 422 names a model
    column the data set lacks, a category in a numeric column, or rows of another shape."""
    row = get_owned_model(session, tenant.id, model_id)
    dataset = get_owned_dataset(session, tenant.id, body.dataset_id)
    cache = request.app.state.model_cache
    loaded = cache.get(row.id)
    if loaded is None:
        loaded = load_model(row)
        cache.put(row.id, loaded)
    BatchScorer(loaded, ScoringSource.of(dataset))  # DatasetError -> 422 before queueing
    check_concurrent_jobs(session, settings, tenant.id)
    run = scoring_repo.create_score_run(
        session, tenant.id, row.id, dataset.id, settings.score_chunk_rows, settings.max_attempts
    )
    run.progress = {"rows": 0, "total": dataset.rows, "fraction": 0.0}
    session.commit()  # the row exists before any worker can hear of it
    publish_job(publisher, settings, run.id)
    session.refresh(run)
    response.headers["Location"] = run_path(run)
    return run_out(run)


@router.get("/{model_id}/predictions/{run_id}", response_model=ScoreRunOut)
def get_score_run(
    model_id: ModelRef, run_id: str, session: SessionDep, tenant: TenantDep
) -> ScoreRunOut:
    """Status, progress (rows scored of the total), warnings and error."""
    return run_out(get_owned_run(session, tenant.id, model_id, run_id))


@router.get(
    "/{model_id}/predictions/{run_id}/download",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def download_scores(
    model_id: ModelRef, run_id: str, session: SessionDep, tenant: TenantDep, settings: SettingsDep
) -> StreamingResponse:
    """The CSV: the data set's columns as uploaded, its target, `prediction` and, for a
    classifier, `p(<class>)` per class; streamed a chunk at a time. 409 until succeeded."""
    run = get_owned_run(session, tenant.id, model_id, run_id)
    if run.status != "succeeded":
        raise HTTPException(
            409, f"scoring run {run.id} is {run.status}; download it once succeeded"
        )

    def chunks() -> Iterator[bytes]:  # its own session: the request's closes before streaming
        with session_factory(settings.sqlalchemy_url)() as own:
            yield from scoring_repo.iter_chunks(own, run_id)

    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="predictions-{run.id}.csv"'},
    )


@router.post("/{model_id}/predictions/{run_id}/cancel", status_code=202, response_model=ScoreRunOut)
def cancel_score_run(
    model_id: ModelRef, run_id: str, session: SessionDep, tenant: TenantDep
) -> ScoreRunOut:
    """Cancel: a queued run at once, a running one between two chunks. 409 once ended."""
    run = get_owned_run(session, tenant.id, model_id, run_id)
    if run.status in jobs_repo.TERMINAL:
        raise HTTPException(409, f"scoring run {run.id} is already {run.status}")
    jobs_repo.request_cancel(session, run.id)
    session.refresh(run)
    return run_out(run)


@router.delete("/{model_id}/predictions/{run_id}", status_code=204)
def delete_score_run(
    model_id: ModelRef, run_id: str, session: SessionDep, tenant: TenantDep
) -> Response:
    """Delete an ended run with its CSV (the model and data set stay). 409 while it runs."""
    run = get_owned_run(session, tenant.id, model_id, run_id)
    if run.status not in jobs_repo.TERMINAL:
        raise HTTPException(
            409, f"scoring run {run.id} is {run.status}; cancel it first and delete it once ended"
        )
    if job_cleanup.delete_finished_job(session, run.id) is None:  # a concurrent delete won
        raise HTTPException(404, f"scoring run {run_id[:64]} not found")
    return Response(status_code=204)
