"""`python -m benchmarks --ladder`: GET /users/{id} from the floor up to the service.

The main run says how far the service is from the floor; the ladder says
which layer the distance is in. Its rungs are the floor, FastAPI on the
floor's pool, FastAPI on SQLAlchemy's async engine, and the service itself,
all serving at once and measured in one run by the main run's schedule (the
same pinning and warm-up, the order of the rungs reversed every repetition,
medians), so that their figures compare with each other.
"""

import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Final

from benchmarks import database, harness, lua, machine, routes, wrk
from benchmarks.options import Options
from benchmarks.report import Step, ladder_json, ladder_table
from benchmarks.schedule import Bench, Key
from benchmarks.servers import HOST, Cpus, Server, plan_cpus

Start = Callable[[Cpus, dict[str, str], Path, int], AbstractContextManager[Server]]
"""Starts a rung's server: pinning, environment, log folder, a user id it can read."""


@dataclass(frozen=True, slots=True)
class Rung:
    name: str
    adds: str
    """What this rung's server has that the one below it lacks."""
    start: Start


def _uvicorn_command(cpus: Cpus, factory: str, port: int) -> list[str]:
    """The floor's server settings, given on uvicorn's command line."""
    return [
        *cpus.server,
        *(sys.executable, "-m", "uvicorn", f"benchmarks.ladder_apps:{factory}", "--factory"),
        *("--host", HOST, "--port", str(port), "--workers", "1"),
        *("--loop", "uvloop", "--http", "httptools", "--lifespan", "on"),
        *("--no-access-log", "--log-level", "warning"),
    ]


def _app(name: str, factory: str) -> Start:
    def start(
        cpus: Cpus, environment: dict[str, str], folder: Path, ready_user: int
    ) -> AbstractContextManager[Server]:
        return harness.serving(
            name,
            partial(_uvicorn_command, cpus, factory),
            environment=environment,
            folder=folder,
            ready_path=f"/users/{ready_user}",
        )

    return start


def _service(
    cpus: Cpus, environment: dict[str, str], folder: Path, ready_user: int
) -> AbstractContextManager[Server]:
    return harness.service(cpus, environment, folder)


FASTAPI: Final = Rung(
    "fastapi", "FastAPI: routing, validation, response_model", _app("fastapi", "fastapi_app")
)
"""Also measured by the main run, beside the service, on the route it serves."""

RUNGS: Final = (
    Rung("floor", "bare ASGI, psycopg pool, orjson", harness.floor),
    FASTAPI,
    Rung(
        "fastapi+sqlalchemy",
        "SQLAlchemy AsyncEngine, a Core statement",
        _app("fastapi+sqlalchemy", "fastapi_sqlalchemy_app"),
    ),
    Rung("service", "middleware, dependencies, layers, unit of work", _service),
)


def _most_connections() -> int:
    """What the rungs' pools hold at their peak."""
    # Imported here, after `harness.wrk_or_stop` checked that the floor's modules exist.
    from benchmarks.floor import POOL_MAX  # noqa: PLC0415
    from benchmarks.ladder_apps import ENGINE_POOL_SIZE  # noqa: PLC0415

    return 2 * POOL_MAX + ENGINE_POOL_SIZE + harness.service_pool_size()


def _jobs(
    servers: dict[str, Server], folder: Path, fixtures: database.Fixtures
) -> dict[Key, wrk.Job]:
    """The main run's job for GET /users/{id} on each rung, checked to answer 2xx first."""
    ids_file = harness.write_user_ids(folder, fixtures)
    scripts = lua.write_scripts(folder)
    jobs = {}
    for name, server in servers.items():
        target = routes.Target(name, server.base_url, token="")
        routes.check(routes.USER, target, fixtures.user_ids[0])
        jobs[routes.USER.name, name] = routes.job(routes.USER, target, scripts, ids_file)
    return jobs


def _print_header(options: Options, cpus: Cpus) -> None:
    seconds = len(RUNGS) * (options.warmup + options.repetitions * options.duration)
    print(
        f"\nLadder on {routes.USER.name}: {len(RUNGS)} rungs, {options.connections} connections, "
        f"{options.repetitions} x {options.duration} s per rung after {options.warmup} s of "
        f"warm-up. About {seconds} s; {harness.pinning(cpus)}.\n",
        flush=True,
    )


def climb(options: Options, stack: ExitStack) -> int:
    """Exit status 0 whatever the figures: the ladder has no target of its own, it shows
    where the main run's distance to the floor lies."""
    wrk_path = harness.wrk_or_stop()
    cpus = plan_cpus()
    environment = harness.environment(*harness.jwt_settings())
    fixtures = harness.prepare_data(options, stack, environment)
    harness.check_room(
        environment["DATABASE_URL"], _most_connections(), "the ladder's four servers"
    )

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ladder-")))
    ready_user = fixtures.user_ids[0]
    servers = {
        rung.name: stack.enter_context(rung.start(cpus, environment, folder, ready_user))
        for rung in RUNGS
    }
    bench = Bench(options, wrk_path, cpus, _jobs(servers, folder, fixtures), harness.cpu_watch())

    _print_header(options, cpus)
    started = time.monotonic()
    summaries = bench.measure(routes.USER, [rung.name for rung in RUNGS])
    steps = [Step(rung.name, rung.adds, summaries[rung.name]) for rung in RUNGS]

    print(f"\n{routes.USER.name}, one layer more per rung ({options.connections} connections):\n")
    print(ladder_table(steps))
    print(f"\nLoad took {time.monotonic() - started:.0f} s.")
    harness.print_others(bench)
    context = machine.description() | {"others_cpu": bench.others, "options": asdict(options)}
    saved = harness.save(options, {"ladder": ladder_json(steps)} | context, kind="ladder")
    if saved is not None:
        print(f"Results: {saved}")
    return 0
