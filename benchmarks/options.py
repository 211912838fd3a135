"""The command line of `python -m benchmarks`."""

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks.paths import PROJECT_ROOT

RESULTS_DIR: Final = PROJECT_ROOT / "benchmarks" / "results"


@dataclass(frozen=True, slots=True)
class Options:
    duration: int
    warmup: int
    repetitions: int
    connections: int
    stress_connections: tuple[int, ...]
    stress_duration: int
    timeout: int
    users: int
    posts: int
    results_dir: Path | None
    ladder: bool = False
    """GET /users/{id} on servers that add the service's layers one at a time, instead."""
    workers: bool = True
    """After the stress runs, the service on two workers, as information."""
    instructions: bool = False
    """Instructions per request under callgrind, in process, instead (no wrk, no server)."""

    @property
    def seconds_per_target(self) -> int:
        """One route on one target: its warm-up and its repetitions."""
        return self.warmup + self.repetitions * self.duration

    def estimated_seconds(self, routes: int, extra_targets: int = 0) -> int:
        """The comparison's and the stress runs' load: service and floor on every route, plus
        `extra_targets` route-and-target pairs in the same repetitions."""
        compared = (routes * 2 + extra_targets) * self.seconds_per_target
        # Each stress run waits a second of quiet first (`schedule.SETTLE_SECONDS`).
        return compared + routes * len(self.stress_connections) * (self.stress_duration + 1)


# Everything included (the FastAPI rung, stress, two workers, traces): about 7 minutes of load
# in full, 2 in quick.
_FULL: Final = {"duration": 8, "warmup": 3, "stress_duration": 8}
_QUICK: Final = {"duration": 2, "warmup": 1, "stress_duration": 2}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Measure the service against a raw-driver floor with wrk, on loopback. Uses "
            "DATABASE_URL when set (it seeds 10,000 users there), else an embedded "
            "PostgreSQL in .data/bench-postgres."
        ),
    )
    add = parser.add_argument
    instead = parser.add_mutually_exclusive_group()
    instead.add_argument(
        "--ladder",
        action="store_true",
        help=(
            "Instead of service vs floor: GET /users/{id} on the floor, minimal FastAPI apps "
            "and the service, each adding one layer (the stress options do not apply)."
        ),
    )
    instead.add_argument(
        "--instructions",
        action="store_true",
        help=(
            "Instead of service vs floor: instructions per request under valgrind's callgrind, "
            "the app driven in process (the service's routes and the FastAPI rung's; only "
            "--users, --posts, --results-dir and --no-save apply)."
        ),
    )
    add("--quick", action="store_true", help="Short runs (about two minutes of load).")
    add("--duration", type=int, help="Seconds per measured run (full: 8, quick: 2).")
    add("--warmup", type=int, help="Seconds of warm-up per route and target (full: 3, quick: 1).")
    add("--repetitions", type=int, default=3, help="Measured runs per route and target.")
    add("--connections", type=int, default=32, help="wrk connections for the comparison.")
    add(
        "--stress-connections",
        type=int,
        nargs="*",
        default=[64, 256],
        help="Connection counts of the error check on the service; none to skip it.",
    )
    add("--stress-duration", type=int, help="Seconds per error-check run (full: 8, quick: 2).")
    add(
        "--no-workers",
        action="store_true",
        help="Skip the service on two workers (information only, after the stress runs).",
    )
    add("--timeout", type=int, default=2, help="Seconds after which wrk counts a timeout.")
    add("--users", type=int, default=10_000, help="Users the database must hold.")
    add("--posts", type=int, default=50_000, help="Posts the database must hold.")
    add("--results-dir", type=Path, default=RESULTS_DIR, help="Where the JSON results go.")
    add("--no-save", action="store_true", help="Print only; write no JSON file.")
    return parser


def parse(argv: Sequence[str] | None = None) -> Options:
    arguments = _parser().parse_args(argv)
    preset = _QUICK if arguments.quick else _FULL
    options = Options(
        duration=arguments.duration or preset["duration"],
        warmup=arguments.warmup if arguments.warmup is not None else preset["warmup"],
        repetitions=arguments.repetitions,
        connections=arguments.connections,
        stress_connections=tuple(arguments.stress_connections),
        stress_duration=arguments.stress_duration or preset["stress_duration"],
        timeout=arguments.timeout,
        users=arguments.users,
        posts=arguments.posts,
        results_dir=None if arguments.no_save else arguments.results_dir,
        ladder=arguments.ladder,
        instructions=arguments.instructions,
        workers=not arguments.no_workers,
    )
    _check(options)
    return options


def _check(options: Options) -> None:
    positive = {
        "--duration": options.duration,
        "--repetitions": options.repetitions,
        "--connections": options.connections,
        "--stress-duration": options.stress_duration,
        "--timeout": options.timeout,
        "--users": options.users,
    }
    for flag, value in positive.items():
        if value < 1:
            _parser().error(f"{flag} must be at least 1")
    if options.warmup < 0 or options.posts < 0 or min(options.stress_connections, default=1) < 1:
        _parser().error("--warmup, --posts and --stress-connections cannot be negative or zero")
