"""Prometheus metrics. Job figures are read from the database at scrape time, so they are
right whichever process trains; the predict latency histogram belongs to this API process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from service.db.jobs_repo import STATUSES, TERMINAL
from service.db.models import EpochRow, Job

log = logging.getLogger(__name__)
EPOCH_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
JOB_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
PREDICT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _histogram_row(column: Any, buckets: Sequence[float]) -> list[Any]:
    """SELECT items: one cumulative count per bucket, then the count and the sum."""
    items = [func.sum(case((column <= b, 1), else_=0)) for b in buckets]
    return [*items, func.count(column), func.sum(column)]


def _histogram(
    name: str, doc: str, row: Sequence[Any], buckets: Sequence[float]
) -> HistogramMetricFamily:
    counts = [int(v or 0) for v in row[: len(buckets)]]
    total, total_sum = int(row[len(buckets)] or 0), float(row[len(buckets) + 1] or 0.0)
    pairs = [(_le(b), c) for b, c in zip(buckets, counts, strict=True)] + [("+Inf", total)]
    return HistogramMetricFamily(name, doc, buckets=pairs, sum_value=total_sum)


def _le(bound: float) -> str:
    return repr(float(bound))


class JobsCollector(Collector):
    """Jobs by status, queue depth, epoch and job durations, samples/s of running jobs."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def describe(self) -> Iterator[Metric]:
        """The names only, so registering never touches the database."""
        yield GaugeMetricFamily("backprop_jobs", "Jobs by status.", labels=["status"])
        yield GaugeMetricFamily("backprop_queue_depth", "Jobs queued and not yet claimed.")
        yield HistogramMetricFamily("backprop_epoch_duration_seconds", "Seconds per epoch.")
        yield HistogramMetricFamily(
            "backprop_job_duration_seconds", "Seconds per job.", labels=["status"]
        )
        yield GaugeMetricFamily("backprop_training_samples_per_second", "Throughput.")
        yield GaugeMetricFamily("backprop_db_scrape_ok", "1 when job figures were read")

    def collect(self) -> Iterator[Metric]:
        try:
            with self.sessions() as session:
                yield from self._collect(session)
        except Exception:  # a scrape must never fail the whole exposition
            log.exception("metrics: reading job figures from the database failed")
            up = GaugeMetricFamily("backprop_db_scrape_ok", "1 when job figures were read")
            up.add_metric([], 0)
            yield up

    def _collect(self, session: Session) -> Iterable[Metric]:
        counts = dict(session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
        jobs = GaugeMetricFamily("backprop_jobs", "Jobs by status.", labels=["status"])
        for status in STATUSES:
            jobs.add_metric([status], counts.get(status, 0))
        yield jobs
        yield GaugeMetricFamily(
            "backprop_queue_depth",
            "Jobs queued and not yet claimed.",
            value=counts.get("queued", 0),
        )
        epoch_row = session.execute(select(*_histogram_row(EpochRow.seconds, EPOCH_BUCKETS))).one()
        yield _histogram(
            "backprop_epoch_duration_seconds",
            "Seconds per training epoch.",
            epoch_row,
            EPOCH_BUCKETS,
        )
        yield from self._job_durations(session)
        yield self._throughput(session)
        up = GaugeMetricFamily("backprop_db_scrape_ok", "1 when job figures were read")
        up.add_metric([], 1)
        yield up

    def _job_durations(self, session: Session) -> Iterable[Metric]:
        family = HistogramMetricFamily(
            "backprop_job_duration_seconds",
            "Seconds from start to end of finished jobs, by final status.",
            labels=["status"],
        )
        rows = session.execute(
            select(Job.status, Job.started_at, Job.finished_at).where(
                Job.status.in_(TERMINAL), Job.started_at.is_not(None), Job.finished_at.is_not(None)
            )
        ).all()
        by_status: dict[str, list[float]] = {s: [] for s in TERMINAL}
        for status, started, finished in rows:
            by_status[status].append(max(0.0, (finished - started).total_seconds()))
        for status, values in by_status.items():
            pairs = [(_le(b), sum(1 for v in values if v <= b)) for b in JOB_BUCKETS]
            family.add_metric(
                [status], [*pairs, ("+Inf", len(values))], sum_value=float(sum(values))
            )
        yield family

    def _throughput(self, session: Session) -> Metric:
        progress = session.scalars(select(Job.progress).where(Job.status == "running")).all()
        rate = sum(float((p or {}).get("samples_per_second") or 0.0) for p in progress)
        return GaugeMetricFamily(
            "backprop_training_samples_per_second",
            "Training throughput summed over running jobs (last finished epoch of each).",
            value=rate,
        )


class Metrics:
    """The registry one API app exposes on /metrics."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.registry.register(JobsCollector(sessions))
        self.predict_latency = Histogram(
            "backprop_predict_latency_seconds",
            "Latency of POST /v1/models/{id}/predict, by HTTP status.",
            ["status"],
            buckets=PREDICT_BUCKETS,
            registry=self.registry,
        )

        self._predict_by_status: dict[int, Any] = {}
        """The histogram's child per status (labels() validates and locks on every call)."""

    def observe_predict(self, seconds: float, status: int) -> None:
        """One predict's latency (seconds) under its HTTP status."""
        child = self._predict_by_status.get(status)
        if child is None:
            child = self._predict_by_status[status] = self.predict_latency.labels(str(status))
        child.observe(seconds)
