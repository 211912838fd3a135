"""Prometheus metrics: requests by route template and status class, in-flight requests, the pool.

With one worker the metrics live in the process. With several, `serve`
points PROMETHEUS_MULTIPROC_DIR at a fresh folder before the workers start:
prometheus-client then keeps each worker's values in files there, and a
scrape of any worker adds them all up (gauges over the live workers).
"""

import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final, NamedTuple

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
EXPOSITION_CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
KNOWN_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
POOL_REFRESH_SECONDS: Final = 1.0


class PoolStats(NamedTuple):
    size: int
    checked_out: int
    overflow: int


class ReplicaFigures(NamedTuple):
    lag_seconds: float | None
    """At most this far behind the primary; None: further than the probe can tell."""
    on_replica: bool
    reads: Mapping[str, int]
    """Reads that may lag since the start, by reason (`replica`, or why the primary served)."""


class Metrics:
    """The metrics of one app, in a registry of its own (so that tests can build many apps)."""

    def __init__(
        self,
        pool_stats: Callable[[], PoolStats | None] | None = None,
        replica_pool_stats: Callable[[], PoolStats | None] | None = None,
        replica: Callable[[], ReplicaFigures | None] | None = None,
    ) -> None:
        """`pool_stats` reads the primary's pool, `replica_pool_stats` the read replica's;
        a pool left out (no database, no replica) gets no gauges. `replica` reads the
        replica probe's figures: its lag, whether it serves, who served the reads."""
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "Requests answered, by method, route template and status class.",
            ["method", "route", "status_class"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer a request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "Requests being served now.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._pools = [
            _PoolGauges(self.registry, prefix, read)
            for prefix, read in (("db_pool", pool_stats), ("db_replica_pool", replica_pool_stats))
            if read is not None
        ]
        self._replica = None if replica is None else _ReplicaGauges(self.registry, replica)
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._next_refresh = 0.0

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one answered request.

        The labelled children are kept by their labels: prometheus-client's
        `labels()` checks and joins them, under a lock, on every call. The
        pools' gauges are refreshed at most every `POOL_REFRESH_SECONDS`, so
        a worker whose file a scrape of another worker reads (several
        workers) keeps them current, without a read of the pool per request.
        """
        method = method if method in KNOWN_METHODS else "OTHER"
        key = (method, route, status // 100)
        counted = self._children.get(key)
        if counted is None:
            counted = self._children[key] = (
                self.requests.labels(method, route, f"{status // 100}xx"),
                self.duration.labels(method, route),
            )
        requests, duration = counted
        requests.inc()
        duration.observe(seconds)
        now = time.monotonic()
        if now >= self._next_refresh:
            self._next_refresh = now + POOL_REFRESH_SECONDS
            self.refresh_pool()

    def refresh_pool(self) -> None:
        for pool in self._pools:
            pool.refresh()
        if self._replica is not None:
            self._replica.refresh()

    def exposition(self) -> bytes:
        """The text a scrape returns: this process's metrics, or every worker's added up."""
        self.refresh_pool()
        if os.environ.get(MULTIPROCESS_ENV):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


class _PoolGauges:
    """`<prefix>_size`, `_checked_out` and `_overflow` of one connection pool."""

    def __init__(
        self, registry: CollectorRegistry, prefix: str, read: Callable[[], PoolStats | None]
    ) -> None:
        self._read = read
        self._gauges = tuple(
            Gauge(f"{prefix}_{name}", description, registry=registry, multiprocess_mode="livesum")
            for name, description in (
                ("size", "Connections the pool keeps."),
                ("checked_out", "Connections in use by requests."),
                ("overflow", "Connections open beyond the pool size."),
            )
        )

    def refresh(self) -> None:
        stats = self._read()
        if stats is not None:
            for gauge, value in zip(self._gauges, stats, strict=True):
                gauge.set(value)


class _ReplicaGauges:
    """The replica's lag, whether it serves, and the reads that may lag by who served them."""

    def __init__(
        self, registry: CollectorRegistry, read: Callable[[], ReplicaFigures | None]
    ) -> None:
        self._read = read
        self._lag = Gauge(
            "db_replica_lag_seconds",
            "How far behind the primary the read replica is at most (+Inf: unknown).",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self._serving = Gauge(
            "db_replica_serving",
            "1 while reads that may lag go to the read replica, 0 while the primary serves them.",
            registry=registry,
            multiprocess_mode="livemin",
        )
        self._reads = Counter(
            "db_lagging_reads",
            "Reads that may lag, by the database that served them and why.",
            ["served_by", "reason"],
            registry=registry,
        )
        self._counted: dict[str, int] = {}

    def refresh(self) -> None:
        figures = self._read()
        if figures is None:
            return
        self._lag.set(math.inf if figures.lag_seconds is None else figures.lag_seconds)
        self._serving.set(1 if figures.on_replica else 0)
        for reason, total in figures.reads.items():
            served_by = "replica" if reason == "replica" else "primary"
            self._reads.labels(served_by, reason).inc(total - self._counted.get(reason, 0))
            self._counted[reason] = total


def share_between_workers() -> Path:
    """Give the workers one folder for prometheus-client's multiprocess mode, emptied first.

    Called before uvicorn spawns them, so each worker's metrics go to files
    there and any worker's /metrics adds them all up.
    """
    folder = Path(tempfile.gettempdir()) / f"users-posts-metrics-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    os.environ[MULTIPROCESS_ENV] = str(folder)
    return folder
