"""The issue's targets, checked against the run's own figures.

Printed as a table after the measurements, and the reason for the exit
status: 1 while any target is missed, so a script or a person running
`make bench` cannot take a missed target for a pass.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from benchmarks import routes
from benchmarks.report import Comparison, StressRun

MIN_RATIOS: Final[Mapping[str, float]] = {
    routes.USER.name: 0.6,
    routes.LIST.name: 0.6,
    routes.CREATE.name: 0.5,
}
"""Service req/s over floor req/s, at the comparison's connection count."""

READ_ROUTES: Final = (routes.USER.name, routes.LIST.name)
P99_CONNECTIONS: Final = 64
MAX_READ_P99_MS: Final = 50.0
MAX_PEAK_RSS_BYTES: Final = 120 * 1000 * 1000
"""120 MB, in decimal megabytes as the target is written (114.4 MiB)."""


@dataclass(frozen=True, slots=True)
class Check:
    target: str
    reached: str
    met: bool


def check(
    comparisons: Sequence[Comparison], stress: Sequence[StressRun], peak_rss_kib: int | None
) -> list[Check]:
    """Every target with the figure this run reached for it."""
    checks = [
        Check(
            target=f"{row.route}: service/floor >= {MIN_RATIOS[row.route]:.1f}",
            reached=f"{row.service.rps / row.floor.rps:.2f}" if row.floor.rps else "no floor",
            met=bool(row.floor.rps) and row.service.rps / row.floor.rps >= MIN_RATIOS[row.route],
        )
        for row in comparisons
        if row.route in MIN_RATIOS
    ]
    for run in stress:
        checks.append(
            Check(
                target=f"{run.route} at {run.connections} connections: 0 errors and timeouts",
                reached=f"{run.result.errors:,}",
                met=run.result.errors == 0,
            )
        )
        if run.connections == P99_CONNECTIONS and run.route in READ_ROUTES:
            checks.append(
                Check(
                    target=f"{run.route} at {run.connections} connections: "
                    f"p99 < {MAX_READ_P99_MS:.0f} ms",
                    reached=f"{run.result.p99_ms:.1f} ms",
                    met=run.result.p99_ms < MAX_READ_P99_MS,
                )
            )
    checks.append(
        Check(
            target="Peak RSS of the service during the load < 120 MB",
            reached="unknown" if peak_rss_kib is None else f"{peak_rss_kib * 1024 / 1e6:.1f} MB",
            met=peak_rss_kib is not None and peak_rss_kib * 1024 < MAX_PEAK_RSS_BYTES,
        )
    )
    return checks


def table(checks: Sequence[Check]) -> str:
    width = max(len(item.target) for item in checks) + 2
    header = f"{'target':<{width}}{'reached':>12}  met"
    lines = [header, "-" * len(header)]
    lines += [
        f"{item.target:<{width}}{item.reached:>12}  {'yes' if item.met else 'NO'}"
        for item in checks
    ]
    return "\n".join(lines)
