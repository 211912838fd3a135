"""`python -m benchmarks`: the service against the floor, from a clean checkout, in one command.

The steps: a database (embedded unless DATABASE_URL is set), migrated and
seeded once; the service, the floor and the ladder's FastAPI rung, each one
uvicorn worker on loopback, pinned to one core with wrk on the other; a
warm-up, then repetitions that alternate service and floor (and, on
GET /users/{id}, the FastAPI rung) so that a drift of the machine hits them
alike; then the service alone at higher concurrency, where the targets are
no error and a short tail; then, as information, the service on two
workers; then traces off and on. With `--ladder`, `benchmarks/ladder.py`
runs instead; with `--instructions`, `benchmarks/instructions.py`.
"""

import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from benchmarks import (
    database,
    harness,
    instructions,
    ladder,
    lua,
    machine,
    routes,
    targets,
    tracing,
    workers,
    wrk,
)
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


@dataclass(frozen=True, slots=True)
class _Servers:
    service: Server
    floor: Server
    framework: Server
    """The ladder's FastAPI rung, which serves GET /users/{id} alone."""


@contextmanager
def _servers(
    cpus: Cpus, environment: dict[str, str], folder: Path, ready_user: int
) -> Iterator[_Servers]:
    with (
        harness.service(cpus, environment, folder) as service,
        harness.floor(cpus, environment, folder, ready_user) as floor,
        ladder.FASTAPI.start(cpus, environment, folder, ready_user) as framework,
    ):
        yield _Servers(service, floor, framework)


def _most_connections(options: Options) -> int:
    """The pools alive at once at the run's peak: the service's, the floor's and the FastAPI
    rung's throughout, then the service on several workers, stopped before the traced service
    starts."""
    # Imported here, after `harness.wrk_or_stop` checked that the floor's modules exist.
    from benchmarks.floor import POOL_MAX  # noqa: PLC0415

    later = max(workers.COUNT if options.workers else 0, 1)
    return 2 * POOL_MAX + (1 + later) * harness.service_pool_size()


def _jobs(
    pair: tuple[routes.Target, routes.Target],
    framework: routes.Target,
    folder: Path,
    fixtures: database.Fixtures,
) -> dict[Key, wrk.Job]:
    ids_file = harness.write_user_ids(folder, fixtures)
    scripts = lua.write_scripts(folder)
    jobs = {
        (route.name, target.name): routes.job(route, target, scripts, ids_file)
        for route in routes.ROUTES
        for target in pair
    }
    jobs[routes.USER.name, framework.name] = routes.job(routes.USER, framework, scripts, ids_file)
    return jobs


def _targets(
    servers: _Servers, fixtures: database.Fixtures, secret: str, algorithm: str
) -> tuple[tuple[routes.Target, routes.Target], routes.Target]:
    """The service and the floor on every route, and the FastAPI rung on its one route."""
    service, floor = servers.service, servers.floor
    service_token = routes.log_in(service.base_url, fixtures.author_username)
    floor_token = routes.sign_token(fixtures.author_id, secret, algorithm)
    pair = (
        routes.Target("service", service.base_url, service_token),
        routes.Target("floor", floor.base_url, floor_token),
    )
    for route in routes.ROUTES:
        for target in pair:
            routes.check(route, target, fixtures.user_ids[0])
    framework = routes.Target(ladder.FASTAPI.name, servers.framework.base_url, token="")
    routes.check(routes.USER, framework, fixtures.user_ids[0])
    return pair, framework


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
    seconds = (
        options.estimated_seconds(len(routes.ROUTES), extra_targets=len(targets.FRAMEWORK_ROUTES))
        + workers.estimated_seconds(options)
        + tracing.estimated_seconds(options)
    )
    more_workers = (
        f"then, as information, the service on {workers.NAME} at {options.connections} "
        "connections, the same way; "
        if options.workers
        else ""
    )
    print(
        f"\nLoad: {options.connections} connections, {options.repetitions} x "
        f"{options.duration} s per route and target (service, floor, and the FastAPI rung on "
        f"{', '.join(targets.FRAMEWORK_ROUTES)}) after {options.warmup} s of warm-up; "
        f"then the service at {', '.join(map(str, options.stress_connections)) or 'no'} "
        f"connections for {options.stress_duration} s; {more_workers}then traces off and on, "
        f"the same way, on {len(tracing.ROUTES)} routes. About {seconds} s; "
        f"{harness.pinning(cpus)}.\n",
        flush=True,
    )


def _report(
    options: Options,
    cpus: Cpus,
    comparisons: list[Comparison],
    stress: list[StressRun],
    gains: list[workers.WorkersGain],
) -> None:
    print(
        f"\nService vs floor, and vs the FastAPI rung on {', '.join(targets.FRAMEWORK_ROUTES)} "
        f"({options.connections} connections, medians):\n"
    )
    print(comparison_table(comparisons))
    if stress:
        print(
            "\nService under more connections (targets: 0 errors, 0 timeouts; "
            f"p99 <= {targets.MAX_TAIL:.0f}x p50 at {targets.TAIL_CONNECTIONS}):\n"
        )
        print(stress_table(stress))
    if gains:
        print(
            f"\nThe service on {workers.NAME}, as information (no target; "
            f"{workers.pinning(cpus)}; "
            f"{options.connections} connections, medians):\n"
        )
        print(workers.table(gains))
    print()


def _benchmark(options: Options, stack: ExitStack) -> int:
    wrk_path = harness.wrk_or_stop()
    cpus = plan_cpus()
    secret, algorithm = harness.jwt_settings()
    environment = harness.environment(secret, algorithm)
    fixtures = harness.prepare_data(options, stack, environment)

    harness.check_room(
        environment["DATABASE_URL"],
        _most_connections(options),
        "the service, the floor, the FastAPI rung and then the service's other servers",
    )

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
    started_servers = stack.enter_context(_servers(cpus, environment, folder, fixtures.user_ids[0]))
    service, floor = started_servers.service, started_servers.floor
    pair, framework = _targets(started_servers, fixtures, secret, algorithm)
    # The login above ran one argon2id verification, which holds its whole memory cost
    # (PASSWORD_HASH_MEMORY_COST, 64 MiB by default) while it runs. That peak is reported
    # on its own line; the load's own peak is measured from here.
    before_load = {"service": service.peak_rss_kib(), "floor": floor.peak_rss_kib()}
    peaks_reset = service.reset_peak_rss() and floor.reset_peak_rss()
    jobs = _jobs(pair, framework, folder, fixtures)
    bench = Bench(options, wrk_path, cpus, jobs, harness.cpu_watch())

    _print_header(options, cpus)
    started = time.monotonic()
    comparisons = bench.compare(
        ("service", "floor"), framework=dict.fromkeys(targets.FRAMEWORK_ROUTES, framework.name)
    )
    stress = bench.stress("service")
    peaks = {"service": service.peak_rss_kib(), "floor": floor.peak_rss_kib()}
    ends = {"service": service.rss_kib(), "floor": floor.rss_kib()}
    context = (wrk_path, cpus, environment, folder)
    gains = (
        workers.measure(options, context, pair[0].token, fixtures, comparisons)
        if options.workers
        else []
    )
    costs, exported = _tracing_cost(options, stack, context, pair[0], fixtures)

    _report(options, cpus, comparisons, stress, gains)
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
    run_context = machine.description() | {"others_cpu": bench.others, "options": asdict(options)}
    memory = {"peak_rss_kib": peaks, "rss_kib": ends, "peak_rss_kib_before_load": before_load}
    saved = harness.save(
        options,
        as_json(comparisons, stress)
        | {"workers": {"pinning": workers.pinning(cpus), "routes": workers.as_json(gains)}}
        | {"tracing": [asdict(cost) | {"on_over_off": cost.ratio} for cost in costs]}
        | memory
        | {"targets": [asdict(item) for item in checks]}
        | run_context,
        kind="bench",
    )
    if saved is not None:
        print(f"Results: {saved}")
    return EXIT_TARGETS_MISSED if not all(item.met for item in checks) else 0


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    work = _benchmark
    if options.ladder:
        work = ladder.climb
    elif options.instructions:
        work = instructions.measure
    return harness.guarded(lambda stack: work(options, stack))
