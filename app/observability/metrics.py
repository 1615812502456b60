"""Metrics in Prometheus's text format: request latency and counts, job outcomes, queue depth
and failed jobs.

Counters live in Redis hashes rather than in each process, so every gunicorn worker, RQ
worker and web host adds to the same figures and any of them can answer a scrape. Recording
is one pipelined round trip per request; when Redis is unreachable the figures are skipped,
never the request. Queue figures are read from RQ at scrape time.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from redis.exceptions import RedisError

from app import queues

log = logging.getLogger(__name__)

HTTP_KEY = "rapport:metrics:http"
JOBS_KEY = "rapport:metrics:jobs"
# Upper bounds in seconds; a page is meant to answer well under 0.3 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_RETRY_AFTER = 10.0  # seconds without trying Redis after it failed
_down_until = 0.0


def _bucket_index(seconds: float) -> int:
    for index, bound in enumerate(BUCKETS):
        if seconds <= bound:
            return index
    return len(BUCKETS)  # +Inf


def _write(key: str, increments: dict[str, float]) -> None:
    global _down_until
    if time.monotonic() < _down_until:
        return
    try:
        pipe = queues.connection().pipeline(transaction=False)
        for field, amount in increments.items():
            if isinstance(amount, int):
                pipe.hincrby(key, field, amount)
            else:
                pipe.hincrbyfloat(key, field, amount)
        pipe.execute()
    except RedisError:
        _down_until = time.monotonic() + _RETRY_AFTER
        log.warning("metrics not recorded: Redis is unreachable")


def record_request(method: str, endpoint: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency under its endpoint (the route's name,
    never the raw path, so the number of series stays bounded)."""
    _write(
        HTTP_KEY,
        {
            f"count|{method}|{endpoint}|{status}": 1,
            f"bucket|{endpoint}|{_bucket_index(seconds)}": 1,
            f"sum|{endpoint}": float(seconds),
        },
    )


def record_job(function: str, outcome: str, seconds: float) -> None:
    """Count one finished job (outcome: succeeded or failed) and its run time."""
    _write(
        JOBS_KEY,
        {f"count|{function}|{outcome}": 1, f"sum|{function}|{outcome}": float(seconds)},
    )


def _decoded(raw: dict) -> dict[str, float]:
    return {key.decode(): float(value) for key, value in raw.items()}


class _Collector:
    """Builds the metric families from Redis and RQ each time the endpoint is scraped."""

    def __init__(self, queue_names, outbox_pending):
        self.queue_names = queue_names
        self.outbox_pending = outbox_pending

    def collect(self):
        redis = queues.connection()
        yield from self._http(_decoded(redis.hgetall(HTTP_KEY)))
        yield from self._jobs(_decoded(redis.hgetall(JOBS_KEY)))
        yield from self._queues(redis)
        outbox = GaugeMetricFamily(
            "rapport_job_outbox_pending",
            "Jobs kept in the database while Redis was unreachable, not yet queued.",
        )
        outbox.add_metric([], self.outbox_pending())
        yield outbox

    def _http(self, values: dict[str, float]):
        requests = CounterMetricFamily(
            "rapport_http_requests",
            "HTTP requests answered, by method, endpoint and status.",
            labels=["method", "endpoint", "status"],
        )
        latency = HistogramMetricFamily(
            "rapport_http_request_duration_seconds",
            "Time to answer a request, by endpoint.",
            labels=["endpoint"],
        )
        buckets: dict[str, list[float]] = {}
        sums: dict[str, float] = {}
        for field, value in sorted(values.items()):
            kind, *parts = field.split("|")
            if kind == "count":
                requests.add_metric(parts, value)
            elif kind == "bucket":
                counts = buckets.setdefault(parts[0], [0.0] * (len(BUCKETS) + 1))
                counts[int(parts[1])] += value
            elif kind == "sum":
                sums[parts[0]] = value
        for endpoint, counts in sorted(buckets.items()):
            cumulative, running = [], 0.0
            for bound, count in zip([*map(str, BUCKETS), "+Inf"], counts, strict=True):
                running += count
                cumulative.append((bound, running))
            latency.add_metric([endpoint], cumulative, sum_value=sums.get(endpoint, 0.0))
        yield requests
        yield latency

    def _jobs(self, values: dict[str, float]):
        finished = CounterMetricFamily(
            "rapport_jobs_finished",
            "Background jobs finished, by function and outcome.",
            labels=["function", "outcome"],
        )
        seconds = CounterMetricFamily(
            "rapport_job_seconds",
            "Time spent running background jobs, by function and outcome.",
            labels=["function", "outcome"],
        )
        for field, value in sorted(values.items()):
            kind, function, outcome = field.split("|")
            (finished if kind == "count" else seconds).add_metric([function, outcome], value)
        yield finished
        yield seconds

    def _queues(self, redis):
        from rq import Worker
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        families = {
            "queued": GaugeMetricFamily(
                "rapport_job_queue_depth", "Jobs waiting in a queue.", labels=["queue"]
            ),
            "running": GaugeMetricFamily(
                "rapport_jobs_running", "Jobs being run by a worker.", labels=["queue"]
            ),
            "scheduled": GaugeMetricFamily(
                "rapport_jobs_scheduled", "Jobs waiting for their time.", labels=["queue"]
            ),
            "failed": GaugeMetricFamily(
                "rapport_jobs_failed",
                "Failed jobs kept for inspection (30 days).",
                labels=["queue"],
            ),
        }
        for name in self.queue_names:
            queue = queues.queue(name)
            families["queued"].add_metric([name], queue.count)
            families["running"].add_metric([name], StartedJobRegistry(queue=queue).count)
            families["scheduled"].add_metric([name], ScheduledJobRegistry(queue=queue).count)
            families["failed"].add_metric([name], FailedJobRegistry(queue=queue).count)
        yield from families.values()
        workers = GaugeMetricFamily("rapport_workers", "RQ workers alive.")
        workers.add_metric([], Worker.count(connection=redis))
        yield workers


def render(queue_names, outbox_pending) -> bytes:
    """The exposition text of every Rapport metric."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(queue_names, outbox_pending))
    return generate_latest(registry)
