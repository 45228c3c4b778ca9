"""A model's lineage: stored with it since lineage existed, rebuilt from its job before."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.db.models import Dataset, Job, TrainedModel


def lineage_of(session: Session, model: TrainedModel) -> dict[str, Any] | None:
    """The stored lineage, else what the model's job and data set still tell (no service
    version: it was not recorded); None when the job is gone too."""
    if model.lineage is not None:
        return model.lineage
    job = session.get(Job, model.job_id)
    if job is None:
        return None
    dataset = session.get(Dataset, model.dataset_id)
    return {
        "dataset_id": model.dataset_id,
        "dataset_sha256": dataset.content_sha256 if dataset is not None else None,
        "job_id": job.id,
        "spec": job.spec,
        "seed": (job.spec.get("training") or {}).get("seed"),
        "attempts": job.attempt,
        "training_seconds": job.runtime_seconds or None,
        "search_id": job.search_id,
        "trial": job.trial,
        "service_version": None,
    }
