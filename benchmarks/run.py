"""`python -m benchmarks`: the service against the floor, from a clean checkout, in one command.

The steps: a database (embedded unless DATABASE_URL is set), migrated and
seeded once; the service and the floor, each one uvicorn worker on loopback,
pinned to one core with wrk on the other; a warm-up, then repetitions that
alternate service and floor so that a drift of the machine hits both alike;
then the service alone at higher concurrency, where the target is no error.
"""

import importlib.util
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Final

from benchmarks import database, lua, machine, routes, targets, wrk
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
from benchmarks.servers import Cpus, Server, free_port, plan_cpus, running
from infrastructure.settings import DEVELOPMENT_JWT_SECRET

FLOOR_MODULES: Final = ("psycopg_pool", "orjson")
EXIT_TARGETS_MISSED: Final = 1
EXIT_CANNOT_RUN: Final = 2
EXIT_INTERRUPTED: Final = 130


class CannotRunError(RuntimeError):
    """Something the benchmark needs is missing; the message says what to do."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C does, so that every server and the database get stopped."""
    raise KeyboardInterrupt


def _check_floor_modules() -> None:
    missing = [name for name in FLOOR_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        packages = [name.replace("_", "-") for name in missing]
        raise CannotRunError(
            f"the floor needs {' and '.join(packages)}, not installed in {sys.prefix}: add them "
            f"to the dev dependencies, then `make lock` and `make install` "
            f"(or pip install {' '.join(packages)})"
        )


def _environment(secret: str, algorithm: str) -> dict[str, str]:
    """The servers' and the CLI's settings: quiet logs, and the same signing key for both."""
    return os.environ | {
        "REPOSITORY": "sqlalchemy",
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
        "JWT_SECRET": secret,
        "JWT_ALGORITHM": algorithm,
    }


@contextmanager
def _servers(
    cpus: Cpus, environment: dict[str, str], folder: Path, ready_user: int
) -> Iterator[tuple[Server, Server]]:
    python = sys.executable
    service_port, floor_port = free_port(), free_port()
    service_command = [
        *cpus.server,
        *(python, "-m", "interfaces", "serve", "--workers", "1"),
        *("--host", "127.0.0.1", "--port", str(service_port)),
    ]
    floor_command = [*cpus.server, python, "-m", "benchmarks.floor", "--port", str(floor_port)]
    with (
        running(
            "service",
            service_command,
            port=service_port,
            environment=environment,
            log=folder / "service.log",
            ready_path="/health/ready",
        ) as service,
        running(
            "floor",
            floor_command,
            port=floor_port,
            environment=environment,
            log=folder / "floor.log",
            ready_path=f"/users/{ready_user}",
        ) as floor,
    ):
        yield service, floor


def _jobs(
    service: routes.Target, floor: routes.Target, folder: Path, fixtures: database.Fixtures
) -> dict[Key, wrk.Job]:
    ids_file = folder / "user_ids.txt"
    ids_file.write_text("\n".join(str(user_id) for user_id in fixtures.user_ids) + "\n")
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


def _print_header(options: Options, cpus: Cpus) -> None:
    pinning = (
        f"server on CPU {cpus.server[-1]}, wrk on CPU {cpus.wrk[-1]}"
        if cpus.pinned
        else "not pinned (taskset or a second core is missing)"
    )
    print(
        f"\nLoad: {options.connections} connections, {options.repetitions} x "
        f"{options.duration} s per route and target after {options.warmup} s of warm-up; "
        f"then the service at {', '.join(map(str, options.stress_connections)) or 'no'} "
        f"connections for {options.stress_duration} s. About "
        f"{options.estimated_seconds(len(routes.ROUTES))} s; {pinning}.\n",
        flush=True,
    )


def _print_others(bench: Bench) -> None:
    disturbed, worst = bench.disturbed(machine.OTHERS_ABOVE)
    if not disturbed:
        print(f"The machine was quiet: other processes used at most {worst:.0%} of the CPU.")
        return
    print(
        f"WARNING: other processes used more than {machine.OTHERS_ABOVE:.0%} of the CPU in "
        f"{disturbed} of {len(bench.others)} measured runs (up to {worst:.0%}; see the "
        "'others' column above): those runs are slower and noisier than on a quiet machine."
    )


def _save(options: Options, payload: dict[str, object]) -> Path | None:
    if options.results_dir is None:
        return None
    options.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = options.results_dir / f"bench-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def _wrk_or_stop() -> str:
    _check_floor_modules()
    try:
        return wrk.ensure_wrk()
    except wrk.WrkUnavailableError as error:
        raise CannotRunError(str(error)) from None


def _prepare_data(
    options: Options, stack: ExitStack, environment: dict[str, str]
) -> database.Fixtures:
    """The database, migrated and seeded; the benchmark's own posts go on the way out.

    Sets DATABASE_URL in `environment`, for the command line and the servers.
    """
    url = stack.enter_context(database.provide())
    environment["DATABASE_URL"] = url
    database.migrate(environment)
    database.delete_benchmark_posts(url)
    stack.callback(database.tidy_up, url)
    database.ensure_seeded(url, environment, users=options.users, posts=options.posts)
    return database.fixtures(url)


def _report(bench: Bench, comparisons: list[Comparison], stress: list[StressRun]) -> None:
    print(f"\nService vs floor ({bench.options.connections} connections, medians):\n")
    print(comparison_table(comparisons))
    if stress:
        print("\nService under more connections (targets: 0 errors, 0 timeouts):\n")
        print(stress_table(stress))
    print()


def _benchmark(options: Options, stack: ExitStack) -> int:
    wrk_path = _wrk_or_stop()
    cpus = plan_cpus()
    secret = os.environ.get("JWT_SECRET") or DEVELOPMENT_JWT_SECRET
    algorithm = os.environ.get("JWT_ALGORITHM") or "HS256"
    environment = _environment(secret, algorithm)
    fixtures = _prepare_data(options, stack, environment)

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
    service, floor = stack.enter_context(_servers(cpus, environment, folder, fixtures.user_ids[0]))
    servers = _targets(service, floor, fixtures, secret, algorithm)
    # The login above ran one argon2id verification, which holds its whole memory cost
    # (PASSWORD_HASH_MEMORY_COST, 64 MiB by default) while it runs. That peak is reported
    # on its own line; the load's own peak is measured from here.
    before_load = {"service": service.peak_rss_kib(), "floor": floor.peak_rss_kib()}
    peaks_reset = service.reset_peak_rss() and floor.reset_peak_rss()
    watch = machine.CpuWatch({os.getpid(), *database.embedded_server_pids()})
    bench = Bench(options, wrk_path, cpus, _jobs(*servers, folder, fixtures), watch)

    _print_header(options, cpus)
    started = time.monotonic()
    comparisons = bench.compare(("service", "floor"))
    stress = bench.stress("service")
    peaks = {"service": service.peak_rss_kib(), "floor": floor.peak_rss_kib()}
    ends = {"service": service.rss_kib(), "floor": floor.rss_kib()}

    _report(bench, comparisons, stress)
    during = "during the load" if peaks_reset else "since it started"
    for name, peak in peaks.items():
        print(memory_line(name, peak, ends[name], during=during))
    if peaks_reset:
        print(memory_line("service", before_load["service"], during="before it, logging in once"))
    checks = targets.check(comparisons, stress, peaks["service"])
    print(f"\nTargets:\n\n{targets.table(checks)}")
    print(f"\nLoad took {time.monotonic() - started:.0f} s.")
    _print_others(bench)
    context = machine.description() | {"others_cpu": bench.others, "options": asdict(options)}
    memory = {"peak_rss_kib": peaks, "rss_kib": ends, "peak_rss_kib_before_load": before_load}
    saved = _save(
        options,
        as_json(comparisons, stress)
        | memory
        | {"targets": [asdict(item) for item in checks]}
        | context,
    )
    if saved is not None:
        print(f"Results: {saved}")
    return EXIT_TARGETS_MISSED if not all(item.met for item in checks) else 0


def _guarded(work: Callable[[ExitStack], int]) -> int:
    """Run `work` with everything it starts registered for cleanup, whatever ends it."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with ExitStack() as stack:
            return work(stack)
    except CannotRunError as error:
        print(f"Cannot run the benchmark: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except KeyboardInterrupt:
        print("\nInterrupted: servers and database stopped.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    return _guarded(lambda stack: _benchmark(options, stack))
