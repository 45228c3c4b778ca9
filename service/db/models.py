"""SQLAlchemy 2.0 typed models: tenants, API keys, datasets, jobs, epoch records, models."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column


def new_id() -> str:
    """A random UUID4 string, the primary key of every public object."""
    return str(uuid.uuid4())


ID_PATTERN = re.compile(r"[0-9A-Za-z_-]{1,64}")


def well_formed(object_id: str) -> bool:
    """Ids are short tokens of letters, digits, '-' and '_' (no NULs, no paths)."""
    return ID_PATTERN.fullmatch(object_id) is not None


def utcnow() -> datetime:
    """Timezone-aware current UTC time."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base: JSON columns for dict and list annotations."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Tenant(Base):
    """An owner of datasets, jobs and models; every API key belongs to one."""

    __tablename__ = "tenants"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiKey(Base):
    """An API key, stored only as its SHA-256 hash (and a short prefix to show)."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Dataset(Base):
    """An uploaded dataset: shape, task, classes and where its arrays are."""

    __tablename__ = "datasets"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10))
    rows: Mapped[int] = mapped_column(Integer)
    features: Mapped[int] = mapped_column(Integer)
    input_shape: Mapped[list[Any]] = mapped_column(JSON)
    feature_names: Mapped[list[Any]] = mapped_column(JSON)
    target: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(String(20))
    classes: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    storage: Mapped[str] = mapped_column(String(10), default="db", server_default="db")
    value_range: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """{"min", "max", "integral"} of X, so specs can be checked against the values."""
    columns: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    """Kinds of a table's feature columns (service.data.columns); None: all numeric."""
    impute: Mapped[str | None] = mapped_column(String(10), nullable=True)
    """"mean" or "median": numeric gaps (NaN in X) are filled from each job's training rows."""
    notes: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    """What the parser did that the user should know (e.g. a constant column left out)."""
    ignored: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    """Columns of the upload left out (ignore=, constant): predict accepts and skips them."""
    content_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Hex SHA-256 of the stored arrays (service.data.fingerprint); None for rows stored
    before it existed until a job trains on them."""
    """"db": `arrays` holds the data; "file": X.npy and y.npy under the data dir (mmap)."""
    arrays: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    """NPZ bytes (no pickle) holding X (float32) and y (int64 class ids or float32 targets)."""


class Job(Base):
    """A job and its state machine (see service.db.jobs_repo): a training job (kind "train")
    or a batch scoring run (kind "score": spec {"model_id", "chunk_rows"}, model_id the model
    it scores, output in score_chunks)."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_tenant_created", "tenant_id", "created_at"),
        Index("ix_jobs_status", "status"),
        UniqueConstraint("tenant_id", "idempotency_key", name="uq_jobs_tenant_idempotency"),
        UniqueConstraint("search_id", "trial", name="uq_jobs_search_trial"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="train", server_default="train")
    """"train" or "score"; claims, leases and the reaper treat both alike."""
    dataset_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_owner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    keep_model_on_cancel: Mapped[bool] = mapped_column(Boolean, default=False)
    max_runtime_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    runtime_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    """Training time used by earlier attempts (checkpointed), for the runtime limit."""
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    publish_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How often the job was handed to the transport (republishes back off with it)."""
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    search_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    """The search this job is a trial of (service.search); None for a plain job."""
    trial: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The trial's number in its search, from 0; (search_id, trial) is unique."""
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """A trial's sampled values by space path, as applied to the spec."""
    trial_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """The scheduler's bookkeeping of a trial: the sampler's internal params, the pruner's
    completed rungs and the last epoch judged."""
    stop_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Why a stop was asked by the service rather than the user (a pruned trial)."""


class Search(Base):
    """A hyperparameter search: a base job body, a space, a strategy; trials are jobs."""

    __tablename__ = "searches"
    __table_args__ = (Index("ix_searches_tenant_created", "tenant_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    dataset_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The base job: network, training (defaults filled) and max_runtime_seconds."""
    space: Mapped[dict[str, Any]] = mapped_column(JSON)
    strategy: Mapped[dict[str, Any]] = mapped_column(JSON)
    objective: Mapped[dict[str, Any]] = mapped_column(JSON)
    pruning: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    total_trials: Mapped[int] = mapped_column(Integer)
    """max_trials, or the grid's size for a grid search."""
    parallelism: Mapped[int] = mapped_column(Integer)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped first by every scheduler pass: the row lock that serialises them."""
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EpochRow(Base):
    """One finished epoch of a job: losses, metrics and wall time."""

    __tablename__ = "epoch_records"
    __table_args__ = (UniqueConstraint("job_id", "epoch", name="uq_epoch_job_epoch"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    epoch: Mapped[int] = mapped_column(Integer)
    loss: Mapped[float] = mapped_column(Float)
    val_loss: Mapped[float | None] = mapped_column(Float, nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobCheckpoint(Base):
    """The latest checkpoint of a job, written in one transaction with the epoch rows still
    pending at that moment (rows written earlier may be ahead of it; a resume keeps them)."""

    __tablename__ = "job_checkpoints"
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    arrays: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    """NPZ bytes of the engine's TrainingState arrays (weights, optimizer, best weights)."""


class JobRun(Base):
    """One attempt at a job by one worker: who, when, and how it ended."""

    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    owner: Mapped[str] = mapped_column(String(100))
    resumed_from_epoch: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ScoreChunk(Base):
    """One chunk of a scoring run's output: CSV lines for rows [first_row, first_row + rows),
    written in one fenced transaction with the run's progress (chunk 0 starts with the header)."""

    __tablename__ = "score_chunks"
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_row: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    csv: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    """UTF-8 CSV text of the chunk's rows."""


class TrainedModel(Base):
    """A trained network: spec, layer summary, metrics, preprocessing, weights."""

    __tablename__ = "models"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[str] = mapped_column(String(36), unique=True)
    dataset_id: Mapped[str] = mapped_column(String(36))
    task: Mapped[str] = mapped_column(String(20))
    network: Mapped[dict[str, Any]] = mapped_column(JSON)
    training: Mapped[dict[str, Any]] = mapped_column(JSON)
    layers: Mapped[list[Any]] = mapped_column(JSON)
    num_params: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    input_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    classes: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    preprocessing: Mapped[dict[str, Any]] = mapped_column(JSON)
    lineage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """Where it came from (service.jobs.model_row.lineage); None for models stored before."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    weights: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    """NPZ bytes (no pickle) of the network's weights keyed like Network.get_weights()."""


# The registry's and the webhooks' tables join Base.metadata whenever the models are
# imported (migrations too).
from service.db import registry_models, webhook_models  # noqa: E402,F401
