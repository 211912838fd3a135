"""What traces cost: the service with them off against the same service exporting every span.

Two processes of the same code on the same data and core: "off", as
`make bench` serves it (no OTEL_* variable, so nothing of the tracing is
installed), and "on", sampled at 100% (`OTEL_TRACES_SAMPLER=always_on`) and
exporting over OTLP/HTTP, in the SDK's batches, to a collector stand-in on
the loopback. The stand-in reads each batch and answers 200 without decoding
it: the exporter's whole cost is the service's (encoding, the HTTP request,
its thread), and the collector's is not, as it would not be in production.
Measured like the comparison with the floor: a warm-up each, then
repetitions that alternate the two.
"""

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Final

from benchmarks import routes, wrk
from benchmarks.options import Options
from benchmarks.report import Summary
from benchmarks.schedule import Bench, Key

OFF: Final = "traces off"
ON: Final = "traces on"
ROUTES: Final = (routes.USER, routes.CREATE)


@dataclass
class Collector:
    """What the stand-in received: export requests and their bytes."""

    url: str
    exports: int = 0
    received_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, size: int) -> None:
        with self._lock:
            self.exports += 1
            self.received_bytes += size


@contextmanager
def collector() -> Iterator[Collector]:
    """An OTLP/HTTP traces endpoint on a free loopback port that accepts every batch."""
    holder: list[Collector] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(size)
            holder[0].record(size)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: one line per batch would drown the benchmark's own output."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Collector(f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, name="collector", daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def estimated_seconds(options: Options) -> int:
    """The load this comparison adds: each route on both targets, warm-up included."""
    return len(ROUTES) * 2 * (options.warmup + options.repetitions * options.duration)


def untraced(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` without any OTEL_* variable: the service as it runs with traces off."""
    return {key: value for key, value in environment.items() if not key.startswith("OTEL_")}


def traced(environment: Mapping[str, str], endpoint: str) -> dict[str, str]:
    """`environment` with every request traced and exported to `endpoint`."""
    return untraced(environment) | {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_SERVICE_NAME": "users-posts-bench",
    }


def jobs(
    off: routes.Target, on: routes.Target, scripts: dict[str, Path], ids_file: Path
) -> dict[Key, wrk.Job]:
    return {
        (route.name, name): routes.job(route, target, scripts, ids_file)
        for route in ROUTES
        for name, target in ((OFF, off), (ON, on))
    }


@dataclass(frozen=True, slots=True)
class TracingCost:
    route: str
    off: Summary
    on: Summary

    @property
    def ratio(self) -> float | None:
        """req/s with traces over req/s without."""
        return self.on.rps / self.off.rps if self.off.rps else None


def measure(bench: Bench) -> list[TracingCost]:
    costs = []
    for route in ROUTES:
        summaries = bench.measure(route, (OFF, ON))
        costs.append(TracingCost(route.name, off=summaries[OFF], on=summaries[ON]))
    return costs


def table(costs: list[TracingCost], exported: Collector) -> str:
    header = (
        f"{'route':<22}{'off req/s':>11}{'on req/s':>11}{'on/off':>8}"
        f"{'off p99':>10}{'on p99':>10}{'errors':>8}"
    )
    lines = [header, "-" * len(header)]
    for cost in costs:
        ratio = "-" if cost.ratio is None else f"{cost.ratio:.2f}"
        lines.append(
            f"{cost.route:<22}{cost.off.rps:>11,.0f}{cost.on.rps:>11,.0f}{ratio:>8}"
            f"{cost.off.p99_ms:>8.1f}ms{cost.on.p99_ms:>8.1f}ms"
            f"{cost.off.errors + cost.on.errors:>8}"
        )
    lines.append(
        f"\nThe collector stand-in received {exported.exports:,} OTLP/HTTP exports "
        f"({exported.received_bytes / 1e6:,.1f} MB)."
    )
    return "\n".join(lines)
