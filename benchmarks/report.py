"""Turning wrk runs into the tables a person reads."""

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from benchmarks.wrk import Result


@dataclass(frozen=True, slots=True)
class Summary:
    """The medians of a route's repetitions on one target, and every error they met.

    Medians, because one run disturbed by the machine should not move the
    figure; errors are summed, because a single one matters.
    """

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    spread: float
    """(max - min) / median of the req/s: how far apart the repetitions were."""

    @classmethod
    def of(cls, results: Sequence[Result]) -> "Summary":
        rates = [result.rps for result in results]
        median = statistics.median(rates)
        return cls(
            rps=median,
            p50_ms=statistics.median(result.p50_ms for result in results),
            p99_ms=statistics.median(result.p99_ms for result in results),
            errors=sum(result.errors for result in results),
            spread=(max(rates) - min(rates)) / median if median else 0.0,
        )


@dataclass(frozen=True, slots=True)
class Comparison:
    route: str
    service: Summary
    floor: Summary
    framework: Summary | None = None
    """The ladder's FastAPI rung, on the routes it serves: what the framework alone allows."""


@dataclass(frozen=True, slots=True)
class StressRun:
    route: str
    connections: int
    result: Result


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of the ladder: a server, the layer it adds to the one before, its figures."""

    rung: str
    adds: str
    summary: Summary


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator else "-"


def _share(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def step_ratios(steps: Sequence[Step]) -> list[tuple[float | None, float | None]]:
    """Per step, its req/s over the first step's (the floor's) and over the previous step's:
    the first says how far from the floor a rung is, the second what its own layer costs."""
    rates = [step.summary.rps for step in steps]
    return [
        (_share(rate, rates[0]), _share(rate, rates[index - 1]) if index else None)
        for index, rate in enumerate(rates)
    ]


def _times(ratio: float | None, digits: int = 2) -> str:
    return "-" if ratio is None else f"{ratio:.{digits}f}x"


def ladder_table(steps: Sequence[Step]) -> str:
    rung_width = max((len(step.rung) for step in steps), default=4) + 2
    adds_width = max((len(step.adds) for step in steps), default=4) + 2
    header = (
        f"{'rung':<{rung_width}}{'adds':<{adds_width}}{'req/s':>9}{'spread':>8}{'p50':>10}"
        f"{'p99':>10}{'errors':>8}{'/floor':>8}{'/prev':>8}"
    )
    lines = [header, "-" * len(header)]
    for step, (to_floor, to_previous) in zip(steps, step_ratios(steps), strict=True):
        summary = step.summary
        lines.append(
            f"{step.rung:<{rung_width}}{step.adds:<{adds_width}}{summary.rps:>9,.0f}"
            f"{summary.spread:>8.0%}{summary.p50_ms:>8.2f}ms{summary.p99_ms:>8.2f}ms"
            f"{summary.errors:>8,}{_times(to_floor):>8}{_times(to_previous):>8}"
        )
    return "\n".join(lines)


def ladder_json(steps: Sequence[Step]) -> list[dict[str, Any]]:
    return [
        asdict(step) | {"to_floor": to_floor, "to_previous": to_previous}
        for step, (to_floor, to_previous) in zip(steps, step_ratios(steps), strict=True)
    ]


_TARGET_WIDTH: Final = 13


def _summary_line(route: str, name: str, summary: Summary) -> str:
    return (
        f"{route:<22}{name:<{_TARGET_WIDTH}}{summary.rps:>9,.0f}{summary.spread:>8.0%}"
        f"{summary.p50_ms:>8.2f}ms{summary.p99_ms:>8.2f}ms{summary.errors:>8,}"
    )


def _ratio_line(name: str, service: Summary, other: Summary) -> str:
    return (
        f"{'':<22}{name:<{_TARGET_WIDTH}}{_ratio(service.rps, other.rps):>9}{'':>8}"
        f"{_ratio(service.p50_ms, other.p50_ms):>10}{_ratio(service.p99_ms, other.p99_ms):>10}"
    )


def comparison_table(rows: Sequence[Comparison]) -> str:
    header = (
        f"{'route':<22}{'target':<{_TARGET_WIDTH}}{'req/s':>9}{'spread':>8}{'p50':>10}"
        f"{'p99':>10}{'errors':>8}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines += [
            _summary_line(row.route, "service", row.service),
            _summary_line("", "floor", row.floor),
        ]
        if row.framework is not None:
            lines.append(_summary_line("", "fastapi", row.framework))
        lines.append(_ratio_line("svc/floor", row.service, row.floor))
        if row.framework is not None:
            lines.append(_ratio_line("svc/fastapi", row.service, row.framework))
    return "\n".join(lines)


def stress_table(runs: Sequence[StressRun]) -> str:
    header = (
        f"{'route':<22}{'conns':>6}{'req/s':>9}{'p50':>10}{'p99':>10}{'p99/p50':>9}{'max':>10}"
        f"{'non-2xx':>9}{'socket':>8}{'timeouts':>10}"
    )
    lines = [header, "-" * len(header)]
    for run in runs:
        result = run.result
        lines.append(
            f"{run.route:<22}{run.connections:>6}{result.rps:>9,.0f}{result.p50_ms:>8.1f}ms"
            f"{result.p99_ms:>8.1f}ms{_times(result.tail, 1):>9}{result.max_ms:>8.0f}ms"
            f"{result.non2xx:>9,}{result.socket_errors:>8,}{result.timeouts:>10,}"
        )
    return "\n".join(lines)


def memory_line(
    name: str, peak_kib: int | None, now_kib: int | None = None, *, during: str = ""
) -> str:
    label = f"Peak RSS (VmHWM) of the {name}{f' {during}' if during else ''}"
    if peak_kib is None:
        return f"{label}: unknown (no /proc)"
    now = "" if now_kib is None else f" (RSS at the end: {now_kib / 1024:.1f} MiB)"
    return f"{label}: {peak_kib / 1024:.1f} MiB{now}"


def as_json(comparisons: Sequence[Comparison], stress: Sequence[StressRun]) -> dict[str, Any]:
    return {
        "comparison": [
            asdict(row)
            | {
                "service_over_floor": _share(row.service.rps, row.floor.rps),
                "service_over_framework": None
                if row.framework is None
                else _share(row.service.rps, row.framework.rps),
            }
            for row in comparisons
        ],
        "stress": [
            {"route": run.route, "connections": run.connections, "rps": run.result.rps}
            | asdict(run.result)
            | {"p99_over_p50": run.result.tail}
            for run in stress
        ],
    }
