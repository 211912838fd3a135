"""The service on two workers against the one-worker figures: information, not a target.

The comparison pins the service to one core, which says what one worker
does; an operator with more cores serves more workers (`serve --workers`).
This shows how much a second one adds on this machine. It cannot be a clean
doubling: PostgreSQL's backends and wrk share the cores with the workers.
The two-worker server gets both of the benchmark's cores (the service's and
wrk's), not one, which would hold two workers to one worker's share; wrk
stays on its own core.

A wrk run keeps its connections open, so which worker serves which is
settled when they connect: the warm-up goes first, while the second worker
may still be starting, and every measured run connects anew.
"""

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from benchmarks import database, harness, lua, routes, wrk
from benchmarks.options import Options
from benchmarks.report import Comparison, Summary
from benchmarks.schedule import Bench, Key
from benchmarks.servers import Cpus

COUNT: Final = 2
NAME: Final = f"{COUNT} workers"


@dataclass(frozen=True, slots=True)
class WorkersGain:
    route: str
    one: Summary
    """The comparison's medians for the service: one worker on one core."""
    several: Summary
    """The same route on COUNT workers, in runs of its own after the stress runs."""

    @property
    def ratio(self) -> float | None:
        """req/s on COUNT workers over req/s on one."""
        return self.several.rps / self.one.rps if self.one.rps else None


def estimated_seconds(options: Options) -> int:
    return len(routes.ROUTES) * options.seconds_per_target if options.workers else 0


def pinning(cpus: Cpus) -> str:
    if cpus.pinned:
        return (
            f"{COUNT} workers on CPUs {cpus.with_wrk_core().server[-1]}, wrk on CPU {cpus.wrk[-1]}"
        )
    return f"{COUNT} workers, not pinned"


def jobs(target: routes.Target, scripts: dict[str, Path], ids_file: Path) -> dict[Key, wrk.Job]:
    return {
        (route.name, NAME): routes.job(route, target, scripts, ids_file) for route in routes.ROUTES
    }


def _gains(bench: Bench, comparisons: list[Comparison]) -> list[WorkersGain]:
    """Each route with its own warm-up and repetitions, beside the comparison's figure."""
    one_worker = {row.route: row.service for row in comparisons}
    return [
        WorkersGain(
            route.name, one=one_worker[route.name], several=bench.measure(route, [NAME])[NAME]
        )
        for route in routes.ROUTES
    ]


def measure(
    options: Options,
    context: tuple[str, Cpus, dict[str, str], Path],
    token: str,
    fixtures: database.Fixtures,
    comparisons: list[Comparison],
) -> list[WorkersGain]:
    """Start the service on COUNT workers, measure it, and stop it again: its pools must be
    closed before the traced service opens its own."""
    wrk_path, cpus, environment, folder = context
    with harness.service(
        cpus.with_wrk_core(), environment, folder, name="service-workers", workers=COUNT
    ) as server:
        target = routes.Target(NAME, server.base_url, token)
        for route in routes.ROUTES:
            routes.check(route, target, fixtures.user_ids[0])
        scripts, ids_file = lua.write_scripts(folder), harness.write_user_ids(folder, fixtures)
        bench = Bench(options, wrk_path, cpus, jobs(target, scripts, ids_file), harness.cpu_watch())
        print(f"\nThe service on {NAME} ({pinning(cpus)}):", flush=True)
        return _gains(bench, comparisons)


def table(gains: list[WorkersGain]) -> str:
    header = f"{'route':<22}{'1 worker':>10}{NAME:>11}{f'{COUNT}/1':>7}{'errors':>8}"
    lines = [header, "-" * len(header)]
    for gain in gains:
        ratio = "-" if gain.ratio is None else f"{gain.ratio:.2f}"
        lines.append(
            f"{gain.route:<22}{gain.one.rps:>10,.0f}{gain.several.rps:>11,.0f}{ratio:>7}"
            f"{gain.several.errors:>8,}"
        )
    return "\n".join(lines)


def as_json(gains: list[WorkersGain]) -> list[dict[str, Any]]:
    return [
        {
            "route": gain.route,
            "1_worker": asdict(gain.one),
            f"{COUNT}_workers": asdict(gain.several),
            "ratio": gain.ratio,
        }
        for gain in gains
    ]
