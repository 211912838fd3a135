"""`python -m benchmarks --instructions`: what a request costs in instructions, by callgrind.

Wall-clock figures on a shared machine move with whatever else it runs; the
instructions a request executes do not. Each route is driven in process
(`benchmarks.inprocess`: the app called through ASGI by 32 callers, no HTTP
server) under `valgrind --tool=callgrind`, once with SHORT requests and once
with LONG. Start-up, the lifespan and the warm-up are in both counts, so
(long - short) / (LONG - SHORT) is one request's cost. The service's three
routes are measured, and the ladder's FastAPI rung on GET /users/{id}: their
ratio says what the service adds above the framework. Only the Python
process is counted, user space only: PostgreSQL's work and the kernel's are
not in the figures.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from benchmarks import callgrind, harness, machine, routes
from benchmarks.inprocess import CALLERS, FASTAPI, SERVICE
from benchmarks.options import Options
from benchmarks.paths import PROJECT_ROOT

SHORT: Final = 64
LONG: Final = 704
AT_ONCE: Final = min(2, len(os.sched_getaffinity(0)))
"""Runs side by side, one a core: a count does not change with the load, only the time."""

MEASURED: Final = (
    (SERVICE, routes.USER),
    (SERVICE, routes.LIST),
    (SERVICE, routes.CREATE),
    (FASTAPI, routes.USER),
)
_LOG_IN_TIMEOUT_SECONDS: Final = 120


@dataclass(frozen=True, slots=True)
class Measurement:
    """One route on one target: callgrind's totals for SHORT and for LONG requests."""

    target: str
    route: str
    short_total: int
    long_total: int

    @property
    def per_request(self) -> float:
        return per_request(self.short_total, self.long_total)


def per_request(short_total: int, long_total: int, short: int = SHORT, long: int = LONG) -> float:
    """The instructions one request adds: what the longer run executed beyond the shorter."""
    if long <= short:
        raise ValueError(f"the long run ({long} requests) must be longer than the short ({short})")
    if long_total <= short_total:
        raise ValueError(
            f"{long} requests counted {long_total:,} instructions, no more than {short} "
            f"requests' {short_total:,}: one of the runs did not do its work"
        )
    return (long_total - short_total) / (long - short)


def ratio(rows: Sequence[Measurement], route: str = routes.USER.name) -> float | None:
    """The service's instructions per request over the FastAPI rung's, on `route`."""
    per_target = {row.target: row.per_request for row in rows if row.route == route}
    if SERVICE not in per_target or FASTAPI not in per_target:
        return None
    return per_target[SERVICE] / per_target[FASTAPI]


def table(rows: Sequence[Measurement]) -> str:
    header = f"{'target':<10}{'route':<24}{'instructions/request':>22}"
    lines = [header, "-" * len(header)]
    lines += [f"{row.target:<10}{row.route:<24}{row.per_request / 1000:>21,.0f}k" for row in rows]
    service_over_fastapi = ratio(rows)
    if service_over_fastapi is not None:
        lines.append(f"\n{SERVICE} / {FASTAPI} on {routes.USER.name}: {service_over_fastapi:.2f}x")
    return "\n".join(lines)


def _log_in(environment: dict[str, str], username: str) -> str:
    """A token from the service's own POST /auth/token, outside valgrind: its argon2
    verification would take minutes under callgrind, and it is not what is measured."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "benchmarks.inprocess", "log-in", username],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=_LOG_IN_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"logging in failed:\n{completed.stderr[-3000:]}")
    return completed.stdout.strip()


def _programs(token: str, ids_file: Path) -> list[callgrind.Program]:
    """Each measurement's SHORT and LONG runs, next to each other so that both finish
    about together."""
    programs = []
    for target, route in MEASURED:
        for requests in (SHORT, LONG):
            command = (
                *(sys.executable, "-m", "benchmarks.inprocess", "drive"),
                *(target, route.name, str(requests)),
                *("--token", token, "--user-ids", str(ids_file)),
            )
            programs.append(callgrind.Program(f"{target} {route.name}, {requests}", command))
    return programs


def _most_connections() -> int:
    # Imported here, after `harness.valgrind_or_stop` checked that the floor's modules exist.
    from benchmarks.floor import POOL_MAX  # noqa: PLC0415

    return AT_ONCE * max(harness.service_pool_size(), POOL_MAX)


def _print_header(valgrind_version: str) -> None:
    print(
        f"\nInstructions per request under callgrind ({valgrind_version}, Python "
        f"{sys.version.split()[0]}): each route in process, through ASGI, {CALLERS} callers, "
        f"no HTTP server; {LONG} requests' count minus {SHORT} requests', over "
        f"{LONG - SHORT}. {AT_ONCE} runs at a time: instruction counts do not depend on "
        "the machine's load, only the time they take does. Totals as each run ends:",
        flush=True,
    )


def measure(options: Options, stack: ExitStack) -> int:
    """Exit status 0 whatever the figures: they have no target, they show where work went."""
    valgrind = harness.valgrind_or_stop()
    environment = harness.environment(*harness.jwt_settings())
    # One hash seed for every run, so that two runs of the same code take the same paths
    # through dicts and sets.
    environment["PYTHONHASHSEED"] = "0"
    fixtures = harness.prepare_data(options, stack, environment)
    harness.check_room(environment["DATABASE_URL"], _most_connections(), "the in-process runs")
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-instructions-")))
    token = _log_in(environment, fixtures.author_username)
    programs = _programs(token, harness.write_user_ids(folder, fixtures))

    valgrind_version = callgrind.version(valgrind)
    _print_header(valgrind_version)
    started = time.monotonic()
    totals = callgrind.count(
        valgrind, programs, folder=folder, environment=environment, at_once=AT_ONCE
    )
    rows = [
        Measurement(target, route.name, short_total, long_total)
        for (target, route), short_total, long_total in zip(
            MEASURED, totals[::2], totals[1::2], strict=True
        )
    ]
    print(f"\n{table(rows)}\n\nThe runs took {time.monotonic() - started:.0f} s.")
    saved = harness.save(
        options,
        {
            "instructions": [
                asdict(row) | {"short": SHORT, "long": LONG, "per_request": row.per_request}
                for row in rows
            ],
            "service_over_fastapi": ratio(rows),
            "valgrind": valgrind_version,
            "callers": CALLERS,
        }
        | machine.description(),
        kind="instructions",
    )
    if saved is not None:
        print(f"Results: {saved}")
    return 0
