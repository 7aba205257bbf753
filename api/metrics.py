"""Prometheus metrics for ``/metrics``: request counts and latency, GraphQL operations by outcome, and
ingest jobs by state. Each app has its own registry (tests build several apps in one process).
Nothing here names a person, organisation or query text: labels are fixed, small sets."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from kith.api.jobs import JobRunner, JobState

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
KNOWN_PATHS = ("/graphql", "/healthz", "/metrics")


class Metrics:
    def __init__(self, jobs: JobRunner):
        self.registry = CollectorRegistry()
        self.requests = Counter("kith_http_requests", "HTTP requests", ["path", "method", "status"],
                                registry=self.registry)
        self.latency = Histogram("kith_http_request_seconds", "HTTP request latency", ["path"], buckets=_BUCKETS,
                                 registry=self.registry)
        self.in_flight = Gauge("kith_http_requests_in_flight", "HTTP requests being served", registry=self.registry)
        self.operations = Counter("kith_graphql_operations", "GraphQL operations",
                                  ["type", "outcome"], registry=self.registry)
        self.timeouts = Counter("kith_graphql_timeouts", "GraphQL operations cancelled by the time limit",
                                registry=self.registry)
        jobs_gauge = Gauge("kith_ingest_jobs", "Ingest jobs kept, by state", ["state"],
                           registry=self.registry)
        for state in JobState:
            jobs_gauge.labels(str(state)).set_function(lambda s=str(state): jobs.counts().get(s, 0))

    async def middleware(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path if request.url.path in KNOWN_PATHS else "other"
        start = time.perf_counter()
        self.in_flight.inc()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            self.in_flight.dec()
            self.latency.labels(path).observe(time.perf_counter() - start)
            self.requests.labels(path, request.method, str(status)).inc()

    def response(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
