"""Prometheus metrics: requests by route template and status class, in-flight requests, the pool.

With one worker the metrics live in the process. With several, `serve`
points PROMETHEUS_MULTIPROC_DIR at a fresh folder before the workers start:
prometheus-client then keeps each worker's values in files there, and a
scrape of any worker adds them all up (gauges over the live workers).
"""

import os
import shutil
import tempfile
from collections.abc import Callable
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


class PoolStats(NamedTuple):
    size: int
    checked_out: int
    overflow: int


class Metrics:
    """The metrics of one app, in a registry of its own (so that tests can build many apps)."""

    def __init__(
        self,
        pool_stats: Callable[[], PoolStats | None] | None = None,
        replica_pool_stats: Callable[[], PoolStats | None] | None = None,
    ) -> None:
        """`pool_stats` reads the primary's pool, `replica_pool_stats` the read replica's;
        a pool left out (no database, no replica) gets no gauges."""
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

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in KNOWN_METHODS else "OTHER"
        self.requests.labels(method, route, f"{status // 100}xx").inc()
        self.duration.labels(method, route).observe(seconds)
        self.refresh_pool()

    def refresh_pool(self) -> None:
        for pool in self._pools:
            pool.refresh()

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
