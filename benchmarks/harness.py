"""What every kind of benchmark run shares: its data, its servers, its cleanup and its files.

`python -m benchmarks` and `python -m benchmarks --ladder` start the service
and the floor from here, so that both measure the same processes, started
the same way, on the same data.
"""

import importlib.util
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Final

from benchmarks import database, debian, machine, wrk
from benchmarks.options import Options
from benchmarks.schedule import Bench
from benchmarks.servers import Cpus, Server, free_port, running
from infrastructure.settings import DEVELOPMENT_JWT_SECRET, Settings

FLOOR_MODULES: Final = ("psycopg_pool", "orjson")
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


def wrk_or_stop() -> str:
    _check_floor_modules()
    return _command_or_stop(wrk.ensure_wrk)


def valgrind_or_stop() -> str:
    """valgrind for `benchmarks.instructions`, which also drives the FastAPI rung, on the
    floor's modules."""
    _check_floor_modules()
    return _command_or_stop(lambda: debian.ensure_command("valgrind"))


def _command_or_stop(ensure: Callable[[], str]) -> str:
    try:
        return ensure()
    except debian.CommandUnavailableError as error:
        raise CannotRunError(str(error)) from None


def jwt_settings() -> tuple[str, str]:
    """The signing key and algorithm: the caller's, or the development ones."""
    secret = os.environ.get("JWT_SECRET") or DEVELOPMENT_JWT_SECRET
    return secret, os.environ.get("JWT_ALGORITHM") or "HS256"


def environment(secret: str, algorithm: str) -> dict[str, str]:
    """The servers' and the CLI's settings: quiet logs, the same signing key for both, and
    no traces (whatever OTEL_* the caller's shell has: `benchmarks.tracing` turns them on).

    The run logs in once and sends that token for longer than the default 15
    minutes an access token lives (a real client would refresh it meanwhile).
    """
    untraced = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    return untraced | {
        "REPOSITORY": "postgres",
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
        "JWT_SECRET": secret,
        "JWT_ALGORITHM": algorithm,
        "ACCESS_TOKEN_EXPIRE_MINUTES": "1440",
    }


def prepare_data(
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


def write_user_ids(folder: Path, fixtures: database.Fixtures) -> Path:
    """The ids the GET /users/{id} script picks from: existing users only, so every answer
    is a 200 with a row, not a cheap 404."""
    path = folder / "user_ids.txt"
    path.write_text("\n".join(str(user_id) for user_id in fixtures.user_ids) + "\n")
    return path


@contextmanager
def serving(
    name: str,
    command: Callable[[int], list[str]],
    *,
    environment: dict[str, str],
    folder: Path,
    ready_path: str,
) -> Iterator[Server]:
    """Start a server on a port picked just before it starts, leaving little time for
    another process to take it.

    `command` gets the port; the output goes to `folder`/`name`.log, which an
    error on start-up quotes.
    """
    port = free_port()
    with running(
        name,
        command(port),
        port=port,
        environment=environment,
        log=folder / f"{name}.log",
        ready_path=ready_path,
    ) as server:
        yield server


@contextmanager
def service(
    cpus: Cpus,
    environment: dict[str, str],
    folder: Path,
    name: str = "service",
    *,
    workers: int = 1,
) -> Iterator[Server]:
    """The service as an operator serves it: its own command line, one worker unless told.

    With several, it is ready once one worker answers; the others may still
    be starting.
    """

    def command(port: int) -> list[str]:
        return [
            *cpus.server,
            *(sys.executable, "-m", "interfaces", "serve", "--workers", str(workers)),
            *("--host", "127.0.0.1", "--port", str(port)),
        ]

    with serving(
        name, command, environment=environment, folder=folder, ready_path="/health/ready"
    ) as server:
        yield server


@contextmanager
def floor(
    cpus: Cpus, environment: dict[str, str], folder: Path, ready_user: int
) -> Iterator[Server]:
    """The floor answers no health route: its readiness is a user it can read."""

    def command(port: int) -> list[str]:
        return [*cpus.server, sys.executable, "-m", "benchmarks.floor", "--port", str(port)]

    with serving(
        "floor", command, environment=environment, folder=folder, ready_path=f"/users/{ready_user}"
    ) as server:
        yield server


def service_pool_size() -> int:
    """The most connections one worker of the service holds: its pool's DB_POOL_SIZE plus
    DB_MAX_OVERFLOW, as the servers will read them from this environment."""
    settings = Settings(environment="development", repository="postgres")
    return settings.db_pool_size + settings.db_max_overflow


def check_room(url: str, needed: int, servers: str) -> None:
    """Refuse to start servers whose pools would exhaust max_connections: past it, the last
    pools to grow fail requests, and any other client of a shared server is locked out.

    `needed` is what the pools hold at their peak: the load fills each one,
    and none gives connections back before the run ends.
    """
    room = database.connection_room(url)
    if needed > room:
        raise CannotRunError(
            f"{servers} open up to {needed} connections, and the database accepts {room} "
            f"more now: raise its max_connections (the embedded one gets "
            f"{database.EMBEDDED_MAX_CONNECTIONS} when the benchmark starts it), or wait for "
            "its other clients to finish"
        )


def cpu_watch() -> machine.CpuWatch:
    """The harness, its children and the embedded PostgreSQL: everything else is "others"."""
    return machine.CpuWatch({os.getpid(), *database.embedded_server_pids()})


def pinning(cpus: Cpus) -> str:
    if cpus.pinned:
        return f"servers on CPU {cpus.server[-1]}, wrk on CPU {cpus.wrk[-1]}"
    return "not pinned (taskset or a second core is missing)"


def print_others(bench: Bench) -> None:
    disturbed, worst = bench.disturbed(machine.OTHERS_ABOVE)
    if not disturbed:
        print(f"The machine was quiet: other processes used at most {worst:.0%} of the CPU.")
        return
    print(
        f"WARNING: other processes used more than {machine.OTHERS_ABOVE:.0%} of the CPU in "
        f"{disturbed} of {len(bench.others)} measured runs (up to {worst:.0%}; see the "
        "'others' column above): those runs are slower and noisier than on a quiet machine."
    )


def save(options: Options, payload: dict[str, object], *, kind: str) -> Path | None:
    """Write `payload` as results/`kind`-<UTC time>.json, unless --no-save."""
    if options.results_dir is None:
        return None
    options.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = options.results_dir / f"{kind}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def guarded(work: Callable[[ExitStack], int]) -> int:
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
