"""The targets of the second throughput round (issue 18), checked against the run's own figures.

Printed as a table after the measurements, and the reason for the exit
status: 1 while any target is missed, so a script or a person running
`make bench` cannot take a missed target for a pass. Every target is a ratio
of figures measured in the same run, or a count, or a size: none is a
number of milliseconds or requests a second, which would hold on one
machine only.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from benchmarks import routes
from benchmarks.report import Comparison, StressRun

MIN_FLOOR_RATIO: Final = 0.5
"""Service req/s over floor req/s, at the comparison's connection count, on every route."""

MIN_FRAMEWORK_RATIO: Final = 0.85
"""Service req/s over the ladder's FastAPI rung's, on the routes that rung serves: what the
service's own layers may cost on top of the framework."""

FRAMEWORK_ROUTES: Final = (routes.USER.name,)

TAIL_CONNECTIONS: Final = 64
MAX_TAIL: Final = 3.0
"""p99 over p50 of one run: the slowest requests at most this many times the typical one."""

MAX_PEAK_RSS_BYTES: Final = 120 * 1000 * 1000
"""120 MB, in decimal megabytes as the target is written (114.4 MiB)."""


@dataclass(frozen=True, slots=True)
class Check:
    target: str
    reached: str
    met: bool


def _ratio_check(target: str, numerator: float, denominator: float, least: float) -> Check:
    if not denominator:
        return Check(target=target, reached="no figure", met=False)
    ratio = numerator / denominator
    return Check(target=target, reached=f"{ratio:.2f}", met=ratio >= least)


def _throughput(row: Comparison) -> list[Check]:
    checks = [
        _ratio_check(
            f"{row.route}: service/floor >= {MIN_FLOOR_RATIO}",
            row.service.rps,
            row.floor.rps,
            MIN_FLOOR_RATIO,
        )
    ]
    if row.route in FRAMEWORK_ROUTES:
        target = f"{row.route}: service/fastapi >= {MIN_FRAMEWORK_RATIO}"
        if row.framework is None:
            checks.append(Check(target=target, reached="not measured", met=False))
        else:
            checks.append(
                _ratio_check(target, row.service.rps, row.framework.rps, MIN_FRAMEWORK_RATIO)
            )
    return checks


def _stress(run: StressRun) -> list[Check]:
    result = run.result
    checks = [
        Check(
            target=f"{run.route} at {run.connections} connections: 0 errors and timeouts",
            reached=f"{result.errors:,}",
            met=result.errors == 0,
        )
    ]
    if run.connections == TAIL_CONNECTIONS:
        tail = result.tail
        checks.append(
            Check(
                target=f"{run.route} at {run.connections} connections: p99 <= {MAX_TAIL:.0f}x p50",
                reached="no p50" if tail is None else f"{tail:.1f}x p50",
                met=tail is not None and tail <= MAX_TAIL,
            )
        )
    return checks


def check(
    comparisons: Sequence[Comparison], stress: Sequence[StressRun], peak_rss_kib: int | None
) -> list[Check]:
    """Every target with the figure this run reached for it.

    A target whose figure is missing (the FastAPI rung not measured, no p50)
    counts as missed: the exit status must not pass what it could not check.
    """
    checks = [item for row in comparisons for item in _throughput(row)]
    checks += [item for run in stress for item in _stress(run)]
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
