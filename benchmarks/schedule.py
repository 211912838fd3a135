"""The measuring schedule: warm-up, alternating repetitions, then the error check."""

import sys
import time
from collections.abc import Mapping, Sequence
from typing import Final

from benchmarks import routes, wrk
from benchmarks.machine import CpuWatch
from benchmarks.options import Options
from benchmarks.report import Comparison, StressRun, Summary
from benchmarks.servers import Cpus

SETTLE_SECONDS: Final = 1.0
"""Quiet before each run under more connections (see `Bench.stress`)."""

Key = tuple[str, str]
"""(route name, target name)"""


def alternate(targets: Sequence[str], repetition: int) -> tuple[str, ...]:
    """The targets in order, then reversed, and so on: across an even number of
    repetitions each target's mean position is the same, so a drift of the
    machine during the run favours none of them."""
    return tuple(targets) if repetition % 2 == 0 else tuple(reversed(targets))


class Bench:
    """Runs the schedule against its targets and keeps every result."""

    def __init__(
        self,
        options: Options,
        wrk_path: str,
        cpus: Cpus,
        jobs: dict[Key, wrk.Job],
        watch: CpuWatch,
    ) -> None:
        self.options = options
        self._wrk = wrk_path
        self._cpus = cpus
        self._jobs = jobs
        self._watch = watch
        self.results: dict[Key, list[wrk.Result]] = {key: [] for key in jobs}
        self.others: list[float] = []
        """Per measured run, the share of the CPU that processes outside the benchmark used."""

    def others_note(self) -> str:
        return f"others {self.others[-1]:4.0%} CPU" if self.others else ""

    def disturbed(self, threshold: float) -> tuple[int, float]:
        """How many measured runs other processes used more than `threshold` of the CPU in,
        and the most they used in one."""
        return sum(share > threshold for share in self.others), max(self.others, default=0.0)

    def _run(
        self, key: Key, seconds: int, connections: int, *, measured: bool = True
    ) -> wrk.Result:
        self._watch.start()
        result = wrk.run(
            self._wrk,
            self._jobs[key],
            connections=connections,
            seconds=seconds,
            timeout=self.options.timeout,
            cpu_prefix=self._cpus.wrk,
        )
        others = self._watch.others()
        if measured and others is not None:
            self.others.append(others)
        return result

    def compare(
        self, targets: tuple[str, str], framework: Mapping[str, str] | None = None
    ) -> list[Comparison]:
        """Warm up, then alternate the service and the floor, the order reversed each
        repetition.

        `framework` names, per route, a third target that joins that route's
        repetitions, in the same alternation: a minimal app in the service's
        framework, whose figures are the ones the service can be asked to keep
        close to.
        """
        options = self.options
        extra = framework or {}
        if options.warmup:
            _progress(f"warming up: {options.warmup} s per route and target")
            for key in self._jobs:
                self._run(key, options.warmup, options.connections, measured=False)
        for repetition in range(options.repetitions):
            for route in routes.ROUTES:
                named = (*targets, extra[route.name]) if route.name in extra else targets
                for target in alternate(named, repetition):
                    self._repetition(route, target, repetition, f"{route.name:<22}{target:<8}")
        return [
            Comparison(
                route=route.name,
                service=Summary.of(self.results[route.name, targets[0]]),
                floor=Summary.of(self.results[route.name, targets[1]]),
                framework=Summary.of(self.results[route.name, extra[route.name]])
                if route.name in extra
                else None,
            )
            for route in routes.ROUTES
        ]

    def measure(self, route: routes.Route, targets: Sequence[str]) -> dict[str, Summary]:
        """One route on any number of targets: each warmed up, then all of them in every
        repetition, in alternating order."""
        options = self.options
        if options.warmup:
            _progress(f"warming up: {options.warmup} s per target")
            for target in targets:
                self._run((route.name, target), options.warmup, options.connections, measured=False)
        width = max(map(len, targets)) + 2
        for repetition in range(options.repetitions):
            for target in alternate(targets, repetition):
                self._repetition(route, target, repetition, f"{target:<{width}}")
        return {target: Summary.of(self.results[route.name, target]) for target in targets}

    def _repetition(self, route: routes.Route, target: str, repetition: int, label: str) -> None:
        """One measured run of `route` on `target`, kept for the medians and shown as it ends."""
        options = self.options
        result = self._run((route.name, target), options.duration, options.connections)
        self.results[route.name, target].append(result)
        _progress(
            f"{repetition + 1}/{options.repetitions} {label}{result.rps:>9,.0f} req/s  "
            f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}  {self.others_note()}"
        )

    def stress(self, target: str) -> list[StressRun]:
        """Each route at each connection count, every run after `SETTLE_SECONDS` of quiet.

        When wrk ends a run it drops its connections with their requests in
        flight, and the server still answers those; a run started at once
        met that backlog first, which showed as a second of extra wait for
        some of its first requests (docs/performance.md): a figure of the
        previous run, not of this one.
        """
        runs = []
        for connections in self.options.stress_connections:
            for route in routes.ROUTES:
                time.sleep(SETTLE_SECONDS)
                result = self._run((route.name, target), self.options.stress_duration, connections)
                runs.append(StressRun(route=route.name, connections=connections, result=result))
                _progress(
                    f"stress {connections:>4} conns {route.name:<22}{result.rps:>9,.0f} req/s  "
                    f"non-2xx {result.non2xx}  socket {result.socket_errors}  "
                    f"timeouts {result.timeouts}  {self.others_note()}"
                )
        return runs


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)
