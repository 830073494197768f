"""Prometheus metrics (prometheus-client): requests by route template and status, latency, store
errors, requests in flight, the HTTP layer's own refusals, and `GET /metrics`.

With several worker processes every worker writes its samples to files in the directory named by
prometheus-client's PROMETHEUS_MULTIPROC_DIR (`agno-rename serve` creates it, see
server/metrics_directory.py) and a scrape, whichever worker answers it, adds up all of them:
prometheus-client's multiprocess mode. Without that variable (an app built in a test) the
metrics live in this process only.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import StoreFailure
from server.metrics_directory import MULTIPROCESS_DIRECTORY_VARIABLE

METRICS_PATH = "/metrics"
PREFIX = "agno_rename"
UNMATCHED_ROUTE = "unmatched"
OTHER_METHOD = "other"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds. A rename on SQLite takes about a millisecond; PostgreSQL over a network, more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Live gauges of a process are in files named gauge_<mode>_<pid>.db.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w*?_(\d+)\.db")

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE) or None


class RouteTemplates:
    """A request path's route template (`/sessions/{session_id}/rename`), so that a label has
    one value per route, not one per session id; any other path is `unmatched`."""

    def __init__(self, templates: Iterable[str], prefixes: Iterable[str] = ()) -> None:
        templates = list(templates)
        self._literal = frozenset(t for t in templates if "{" not in t)
        self._templates = [(compile_path(t)[0], t) for t in templates if "{" in t]
        self._prefixes = tuple(prefixes)

    def route(self, path: str) -> str:
        if path in self._literal:
            return path
        for pattern, template in self._templates:
            if pattern.match(path):
                return template
        for prefix in self._prefixes:
            if path.startswith(prefix):
                return prefix
        return UNMATCHED_ROUTE


class Metrics:
    """The server's metrics. Build one per process (multiprocess mode keys samples by pid)."""

    def __init__(self) -> None:
        self._directory = multiprocess_directory()
        own = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ("method", "route", "status"),
            registry=own,
        )
        self.latency = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time from receiving a request to the end of its answer, by method and route.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.in_flight = Gauge(
            f"{PREFIX}_http_requests_in_flight",
            "Requests being answered now (all workers).",
            registry=own,
            multiprocess_mode="livesum",
        )
        self.store_errors = Counter(
            f"{PREFIX}_store_errors",
            "Requests answered 500 because the session store failed (database unreachable...).",
            registry=own,
        )
        self.refusals = Counter(
            f"{PREFIX}_http_refusals",
            "Requests and connections the HTTP layer refused before the application saw them "
            "(malformed, head too large or too slow, body too slow, unsupported transfer "
            "coding, over the connection cap), by status and error code.",
            ("status", "error_code"),
            registry=own,
        )
        global _process_metrics
        _process_metrics = self  # the HTTP protocol counts its refusals here (count_refusal)
        if self._directory is None:
            self.registry = own
        else:
            # What a scrape reads: every worker's files, added up (counters and histograms sum,
            # the in-flight gauge sums over live processes).
            self.registry = CollectorRegistry()
            collect_all = multiprocess.MultiProcessCollector
            collect_all(self.registry, path=self._directory)  # type: ignore[no-untyped-call]

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type

    def counting_store_failures(self, handler: Handler) -> Handler:
        """`handler` (an error handler) that also counts the StoreFailure errors it answers."""

        async def counting(request: Any, error: Exception) -> Any:
            if isinstance(error, StoreFailure):
                self.store_errors.inc()
            return await handler(request, error)

        return counting  # type: ignore[return-value]


_process_metrics: Metrics | None = None
"""The metrics of the application this process serves; None when metrics are off."""


def count_refusal(status: int, error_code: str) -> None:
    """Count an answer the HTTP protocol (server/http_protocol.py) sent itself: it runs under the
    application, so MetricsMiddleware never sees it. Labels come from the error table's few
    rows, so no client can create new series."""
    metrics = _process_metrics
    if metrics is not None:
        metrics.refusals.labels(str(status), error_code).inc()


def forget_dead_workers() -> None:
    """Drop the in-flight counts of worker processes that are gone (a crashed worker cannot
    clean up after itself; the worker uvicorn starts in its place does it)."""
    directory = multiprocess_directory()
    if directory is None:
        return
    for entry in Path(directory).iterdir():
        found = _LIVE_GAUGE_FILE.fullmatch(entry.name)
        if found and not _alive(int(found.group(1))):
            _mark_process_dead(int(found.group(1)), directory)


def worker_stopped() -> None:
    """This worker's in-flight count no longer counts (prometheus-client's mark_process_dead)."""
    directory = multiprocess_directory()
    if directory is not None:
        _mark_process_dead(os.getpid(), directory)


def _mark_process_dead(pid: int, directory: str) -> None:
    multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class MetricsMiddleware:
    """Counts and times every HTTP request, by route template and status code."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, routes: RouteTemplates) -> None:
        self.app = app
        self._metrics = metrics
        self._routes = routes
        # prometheus-client's labels() validates and locks on every call (about 2/3 of the cost
        # of counting a request): each label combination's child is looked up once. Bounded:
        # methods, routes and status codes are all from small fixed sets.
        self._counted: dict[tuple[str, str, int], Any] = {}
        self._timed: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in _METHODS else OTHER_METHOD
        route = self._routes.route(scope["path"])
        status = 500  # what the client is told if the app fails before answering
        metrics = self._metrics

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        metrics.in_flight.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            elapsed = time.perf_counter() - started
            timed = self._timed.get((method, route))
            if timed is None:
                timed = self._timed[method, route] = metrics.latency.labels(method, route)
            timed.observe(elapsed)
            counted = self._counted.get((method, route, status))
            if counted is None:
                counted = metrics.requests.labels(method, route, str(status))
                self._counted[method, route, status] = counted
            counted.inc()
            metrics.in_flight.dec()


def metrics_endpoint(
    metrics: Metrics, authenticate: Callable[[Request], object] | None
) -> Callable[[Request], Awaitable[Response]]:
    """`GET /metrics`. With `authenticate`, the caller must pass it (it raises the error the
    error table answers, 401 with WWW-Authenticate)."""

    async def serve_metrics(request: Request) -> Response:
        if authenticate is not None:
            authenticate(request)
        # Reading every worker's files is blocking file I/O: off the event loop.
        body, content_type = await run_in_threadpool(
            metrics.exposition, request.headers.get("accept")
        )
        return Response(body, headers={"Content-Type": content_type})

    return serve_metrics
