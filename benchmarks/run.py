"""`python -m benchmarks`: the service against the floor, from a clean checkout, in one command.

The steps: a database (embedded unless DATABASE_URL is set), migrated and
seeded once; the service and the floor, each one uvicorn worker on loopback,
pinned to one core with wrk on the other; a warm-up, then repetitions that
alternate service and floor so that a drift of the machine hits both alike;
then the service alone at higher concurrency, where the target is no error.
With `--ladder`, `benchmarks/ladder.py` runs instead.
"""

import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Final

from benchmarks import database, harness, ladder, lua, machine, routes, targets, tracing, wrk
from benchmarks.options import Options, parse
from benchmarks.report import (
    Comparison,
    StressRun,
    as_json,
    comparison_table,
    memory_line,
    stress_table,
)
from benchmarks.schedule import Bench, Key
from benchmarks.servers import Cpus, Server, plan_cpus

EXIT_TARGETS_MISSED: Final = 1


@contextmanager
def _servers(
    cpus: Cpus, environment: dict[str, str], folder: Path, ready_user: int
) -> Iterator[tuple[Server, Server]]:
    with (
        harness.service(cpus, environment, folder) as service,
        harness.floor(cpus, environment, folder, ready_user) as floor,
    ):
        yield service, floor


def _jobs(
    service: routes.Target, floor: routes.Target, folder: Path, fixtures: database.Fixtures
) -> dict[Key, wrk.Job]:
    ids_file = harness.write_user_ids(folder, fixtures)
    scripts = lua.write_scripts(folder)
    return {
        (route.name, target.name): routes.job(route, target, scripts, ids_file)
        for route in routes.ROUTES
        for target in (service, floor)
    }


def _targets(
    service: Server, floor: Server, fixtures: database.Fixtures, secret: str, algorithm: str
) -> tuple[routes.Target, routes.Target]:
    service_token = routes.log_in(service.base_url, fixtures.author_username)
    floor_token = routes.sign_token(fixtures.author_id, secret, algorithm)
    pair = (
        routes.Target("service", service.base_url, service_token),
        routes.Target("floor", floor.base_url, floor_token),
    )
    for route in routes.ROUTES:
        for target in pair:
            routes.check(route, target, fixtures.user_ids[0])
    return pair


def _tracing_cost(
    options: Options,
    stack: ExitStack,
    context: tuple[str, Cpus, dict[str, str], Path],
    untraced: routes.Target,
    fixtures: database.Fixtures,
) -> tuple[list[tracing.TracingCost], tracing.Collector]:
    """The service with traces on, sampled at 100%, against the one already measured."""
    wrk_path, cpus, environment, folder = context
    exported = stack.enter_context(tracing.collector())
    traced_server = stack.enter_context(
        harness.service(
            cpus, tracing.traced(environment, exported.url), folder, name="service-traced"
        )
    )
    traced = routes.Target(tracing.ON, traced_server.base_url, untraced.token)
    for route in tracing.ROUTES:
        routes.check(route, traced, fixtures.user_ids[0])
    jobs = tracing.jobs(
        untraced, traced, lua.write_scripts(folder), harness.write_user_ids(folder, fixtures)
    )
    bench = Bench(options, wrk_path, cpus, jobs, harness.cpu_watch())
    print("\nThe service with traces off and on (sampled at 100%, exported):", flush=True)
    return tracing.measure(bench), exported


def _print_header(options: Options, cpus: Cpus) -> None:
    print(
        f"\nLoad: {options.connections} connections, {options.repetitions} x "
        f"{options.duration} s per route and target after {options.warmup} s of warm-up; "
        f"then the service at {', '.join(map(str, options.stress_connections)) or 'no'} "
        f"connections for {options.stress_duration} s; then traces off and on, the same way, "
        f"on {len(tracing.ROUTES)} routes. About "
        f"{options.estimated_seconds(len(routes.ROUTES)) + tracing.estimated_seconds(options)} s; "
        f"{harness.pinning(cpus)}.\n",
        flush=True,
    )


def _report(bench: Bench, comparisons: list[Comparison], stress: list[StressRun]) -> None:
    print(f"\nService vs floor ({bench.options.connections} connections, medians):\n")
    print(comparison_table(comparisons))
    if stress:
        print("\nService under more connections (targets: 0 errors, 0 timeouts):\n")
        print(stress_table(stress))
    print()


def _benchmark(options: Options, stack: ExitStack) -> int:
    wrk_path = harness.wrk_or_stop()
    cpus = plan_cpus()
    secret, algorithm = harness.jwt_settings()
    environment = harness.environment(secret, algorithm)
    fixtures = harness.prepare_data(options, stack, environment)

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
    service, floor = stack.enter_context(_servers(cpus, environment, folder, fixtures.user_ids[0]))
    servers = _targets(service, floor, fixtures, secret, algorithm)
    # The login above ran one argon2id verification, which holds its whole memory cost
    # (PASSWORD_HASH_MEMORY_COST, 64 MiB by default) while it runs. That peak is reported
    # on its own line; the load's own peak is measured from here.
    before_load = {"service": service.peak_rss_kib(), "floor": floor.peak_rss_kib()}
    peaks_reset = service.reset_peak_rss() and floor.reset_peak_rss()
    bench = Bench(options, wrk_path, cpus, _jobs(*servers, folder, fixtures), harness.cpu_watch())

    _print_header(options, cpus)
    started = time.monotonic()
    comparisons = bench.compare(("service", "floor"))
    stress = bench.stress("service")
    peaks = {"service": service.peak_rss_kib(), "floor": floor.peak_rss_kib()}
    ends = {"service": service.rss_kib(), "floor": floor.rss_kib()}
    costs, exported = _tracing_cost(
        options, stack, (wrk_path, cpus, environment, folder), servers[0], fixtures
    )

    _report(bench, comparisons, stress)
    print(f"Traces off and on ({options.connections} connections, medians):\n")
    print(tracing.table(costs, exported) + "\n")
    during = "during the load" if peaks_reset else "since it started"
    for name, peak in peaks.items():
        print(memory_line(name, peak, ends[name], during=during))
    if peaks_reset:
        print(memory_line("service", before_load["service"], during="before it, logging in once"))
    checks = targets.check(comparisons, stress, peaks["service"])
    print(f"\nTargets:\n\n{targets.table(checks)}")
    print(f"\nLoad took {time.monotonic() - started:.0f} s.")
    harness.print_others(bench)
    context = machine.description() | {"others_cpu": bench.others, "options": asdict(options)}
    memory = {"peak_rss_kib": peaks, "rss_kib": ends, "peak_rss_kib_before_load": before_load}
    saved = harness.save(
        options,
        as_json(comparisons, stress)
        | {"tracing": [asdict(cost) | {"on_over_off": cost.ratio} for cost in costs]}
        | memory
        | {"targets": [asdict(item) for item in checks]}
        | context,
        kind="bench",
    )
    if saved is not None:
        print(f"Results: {saved}")
    return EXIT_TARGETS_MISSED if not all(item.met for item in checks) else 0


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    work = ladder.climb if options.ladder else _benchmark
    return harness.guarded(lambda stack: work(options, stack))
