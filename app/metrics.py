"""Prometheus metrics, served at ``GET /metrics``.

With several worker processes every process writes its values to memory-mapped files in
``PROMETHEUS_MULTIPROC_DIR`` (``glue-customers serve --workers N`` sets it up), and whichever worker
answers a scrape sums them all: prometheus_client's multiprocess mode. The variable is read once, when
this module is imported, as prometheus_client itself reads it; without it the values live in this
process.

Labels name route templates (``/customers/{reference}``), never raw paths: references are personal
data and would make one series per customer.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

__all__ = [
    "CONTENT_TYPE",
    "MULTIPROCESS_DIRECTORY",
    "OutboxBacklog",
    "argon2_in_flight",
    "argon2_queue_waited",
    "database_connection",
    "database_pool_size",
    "exposition",
    "limiter_refused",
    "observe_request",
]

# The text format 0.0.4, what every Prometheus-compatible scraper reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROCESS_DIRECTORY = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
UNMATCHED_ROUTE = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_WAIT_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

_REGISTRY = CollectorRegistry()

_HTTP_REQUESTS = Counter(
    "glue_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
    registry=_REGISTRY,
)
_HTTP_REQUEST_DURATION = Histogram(
    "glue_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer, by route template, method and status.",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
    registry=_REGISTRY,
)
_ARGON2_IN_FLIGHT = Gauge(
    "glue_argon2_in_flight",
    "argon2id computations (hash or verify) running now.",
    multiprocess_mode="livesum",
    registry=_REGISTRY,
)
_ARGON2_QUEUE_WAIT = Histogram(
    "glue_argon2_queue_wait_seconds",
    "Time an argon2id computation waited for a free slot before it ran.",
    buckets=_WAIT_BUCKETS,
    registry=_REGISTRY,
)
_DATABASE_CONNECTIONS_IN_USE = Gauge(
    "glue_database_connections_in_use",
    "Database connections held by requests and workers now.",
    multiprocess_mode="livesum",
    registry=_REGISTRY,
)
_DATABASE_POOL_SIZE = Gauge(
    "glue_database_pool_max_connections",
    "Connections the PostgreSQL pools may open (GLUE_DATABASE_POOL_SIZE per process; 0 on SQLite).",
    multiprocess_mode="livesum",
    registry=_REGISTRY,
)
_DATABASE_CONNECTION_WAIT = Histogram(
    "glue_database_connection_wait_seconds",
    "Time spent getting a database connection (a free pool slot, or a new connection).",
    buckets=_WAIT_BUCKETS,
    registry=_REGISTRY,
)
_LIMITER_REFUSALS = Counter(
    "glue_limiter_refusals",
    "Attempts the limiter refused, by the limit that was reached.",
    ["limit"],
    registry=_REGISTRY,
)


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    labels = (route or UNMATCHED_ROUTE, method if method in _METHODS else "OTHER", str(status))
    _HTTP_REQUESTS.labels(*labels).inc()
    _HTTP_REQUEST_DURATION.labels(*labels).observe(seconds)


def argon2_queue_waited(seconds: float) -> None:
    _ARGON2_QUEUE_WAIT.observe(seconds)


def argon2_in_flight() -> contextlib.AbstractContextManager[None]:
    """Counts the computation as running for the duration of the ``with`` block."""
    return _ARGON2_IN_FLIGHT.track_inprogress()


@contextlib.contextmanager
def database_connection(wait_seconds: float) -> Iterator[None]:
    """A connection got after ``wait_seconds``, held for the duration of the ``with`` block."""
    _DATABASE_CONNECTION_WAIT.observe(wait_seconds)
    _DATABASE_CONNECTIONS_IN_USE.inc()
    try:
        yield
    finally:
        _DATABASE_CONNECTIONS_IN_USE.dec()


def database_pool_size(connections: int) -> None:
    _DATABASE_POOL_SIZE.set(connections)


_LIMIT_NAME = re.compile(r"[a-z-]+")


def limiter_refused(key: str) -> None:
    """``key`` is a limiter key such as ``login-account:<digest>``; only its kind becomes a label."""
    kind = key.split(":", 1)[0]
    _LIMITER_REFUSALS.labels(kind if _LIMIT_NAME.fullmatch(kind) else "other").inc()


@dataclass(frozen=True)
class OutboxBacklog:
    """Mail not yet sent nor given up; how long the longest-waiting due one has been due."""

    depth: int
    oldest_due_age_seconds: float


class _ScrapeTimeCollector(Collector):
    """Values read when the scrape comes: the same for every process, so never summed."""

    def __init__(self, version: str, backlog: OutboxBacklog | None) -> None:
        self._version = version
        self._backlog = backlog

    def collect(self) -> Iterable[Metric]:
        info = GaugeMetricFamily("glue_build_info", "The running version (always 1).", labels=["version"])
        info.add_metric([self._version], 1)
        yield info
        if self._backlog is None:  # the database did not answer; the series are absent, not zero
            return
        yield GaugeMetricFamily(
            "glue_mail_outbox_depth",
            "Mails and texts queued and not yet sent nor given up.",
            self._backlog.depth,
        )
        yield GaugeMetricFamily(
            "glue_mail_outbox_oldest_due_age_seconds",
            "How long the longest-waiting due mail has been due (0: none is due).",
            self._backlog.oldest_due_age_seconds,
        )


def _forget_dead_processes(directory: str) -> None:
    """Drop the live gauges of worker processes that died (uvicorn replaces a crashed worker), so
    their last in-flight counts are not added for ever."""
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid_text = os.path.basename(path).rsplit("_", 1)[-1].removesuffix(".db")
        if not pid_text.isdigit():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            mark_process_dead(int(pid_text), directory)  # type: ignore[no-untyped-call]
        except PermissionError:  # alive, under another user
            pass


def exposition(version: str, backlog: OutboxBacklog | None) -> bytes:
    """Every metric in Prometheus' text format: all worker processes' values, summed."""
    if MULTIPROCESS_DIRECTORY is not None:
        _forget_dead_processes(MULTIPROCESS_DIRECTORY)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, MULTIPROCESS_DIRECTORY)  # type: ignore[no-untyped-call]
    else:
        registry = _REGISTRY
    scrape_time = CollectorRegistry()
    scrape_time.register(_ScrapeTimeCollector(version, backlog))
    return generate_latest(registry) + generate_latest(scrape_time)
