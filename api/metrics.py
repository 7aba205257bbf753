"""Prometheus metrics for ``/metrics``: request counts and latency, GraphQL operations by outcome, and
ingest jobs by state. Each app has its own registry (tests build several apps in one process).
Nothing here names a person, organisation or query text: labels are fixed, small sets.

Under ``kith serve --workers N`` (PROMETHEUS_MULTIPROC_DIR set, a folder of that run) each worker writes
its samples to files there and ``/metrics``, whichever worker answers, adds up every worker's, dead
ones' counters included; a dead worker's in-flight gauge is dropped (``mark_dead_workers``)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kith.api.jobs import JobRunner, JobState

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
KNOWN_PATHS = ("/graphql", "/healthz", "/metrics")


MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client when it is first imported
_LIVE_FILE = re.compile(r"gauge_live\w*_(\d+)\.db$")


class MetricsMiddleware:
    """Counts and times every HTTP request. Plain ASGI: starlette's BaseHTTPMiddleware (a task group and a
    streaming wrapper per request) cost more CPU than a person lookup's own resolver."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        m, status = self.metrics, 500
        path = scope["path"] if scope["path"] in KNOWN_PATHS else "other"

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        start = time.perf_counter()
        m.in_flight.inc()
        try:
            await self.app(scope, receive, sending)
        finally:
            m.in_flight.dec()
            m.served(path, scope["method"], status, time.perf_counter() - start)


class Metrics:
    def __init__(self, jobs: JobRunner):
        self.registry = CollectorRegistry()
        self.shared_dir = os.environ.get(MULTIPROC_DIR, "")
        self.requests = Counter("kith_http_requests", "HTTP requests", ["path", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("kith_http_request_seconds", "HTTP request latency", ["path"], buckets=_BUCKETS,
                                 registry=self.registry)
        self.in_flight = Gauge("kith_http_requests_in_flight", "HTTP requests being served", registry=self.registry,
                               multiprocess_mode="livesum")
        self.operations = Counter("kith_graphql_operations", "GraphQL operations",
                                  ["type", "outcome"], registry=self.registry)
        self.timeouts = Counter("kith_graphql_timeouts", "GraphQL operations cancelled by the time limit",
                                registry=self.registry)
        self.job_states = _JobStates(jobs)  # read from the store when asked: the same for every worker
        self.registry.register(self.job_states)
        self._counted: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def served(self, path: str, method: str, status: int, seconds: float) -> None:
        """Count one HTTP request and its latency. Each label set's two series are looked up once: ``labels()``
        checks and locks on every call."""
        key = (path, method, status)
        series = self._counted.get(key)
        if series is None:
            series = self._counted[key] = (self.latency.labels(path), self.requests.labels(path, method, str(status)))
        series[0].observe(seconds)
        series[1].inc()

    def response(self) -> Response:
        registry = self.registry
        if self.shared_dir:  # every worker's samples, added up
            from prometheus_client import multiprocess

            mark_dead_workers(self.shared_dir)
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.shared_dir)
            registry.register(self.job_states)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    def close(self) -> None:
        """This worker is stopping: its in-flight gauge no longer counts."""
        if self.shared_dir:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid(), self.shared_dir)


class _JobStates(Collector):
    def __init__(self, jobs: JobRunner):
        self.jobs = jobs

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("kith_ingest_jobs", "Ingest jobs kept, by state", labels=["state"])
        counts = self.jobs.counts()
        for state in JobState:
            family.add_metric([str(state)], counts.get(str(state), 0))
        yield family


def mark_dead_workers(folder: str) -> None:
    """Drop the live gauges of worker processes that are gone (killed, or restarted by uvicorn)."""
    from prometheus_client import multiprocess

    pids = {int(m.group(1)) for name in os.listdir(folder) if (m := _LIVE_FILE.match(name))}
    for pid in pids - {os.getpid()}:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, folder)


def _alive(pid: int) -> bool:
    """Running: not gone, and not a zombie its parent has yet to reap (Linux tells by /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] != b"Z"
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        pass
    return True
