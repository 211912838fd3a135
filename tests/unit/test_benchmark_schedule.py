"""The main run's schedule: the FastAPI rung inside the alternation, and where each server runs."""

from pathlib import Path

import pytest

from benchmarks import routes, workers, wrk
from benchmarks.machine import CpuWatch
from benchmarks.options import parse
from benchmarks.schedule import SETTLE_SECONDS, Bench, Key
from benchmarks.servers import Cpus

RATES: dict[str, int] = {"service": 900, "floor": 2000, "fastapi": 1000}


def _bench(monkeypatch: pytest.MonkeyPatch, order: list[Key]) -> Bench:
    """A Bench whose wrk answers at once, each target at its own rate, noting what it ran."""
    jobs = {
        (route.name, target): wrk.Job(url=f"{target} {route.name}", script=Path("none.lua"))
        for route in routes.ROUTES
        for target in ("service", "floor")
    }
    jobs[routes.USER.name, "fastapi"] = wrk.Job(url=f"fastapi {routes.USER.name}", script=Path())

    def run(path: str, job: wrk.Job, **settings: object) -> wrk.Result:
        target, route = job.url.split(" ", 1)
        order.append((route, target))
        return wrk.Result(
            requests=RATES[target],
            seconds=1.0,
            p50_ms=1.0,
            p99_ms=2.0,
            max_ms=3.0,
            non2xx=0,
            socket_errors=0,
            timeouts=0,
        )

    monkeypatch.setattr(wrk, "run", run)
    options = parse(["--quick", "--warmup", "0", "--repetitions", "2"])
    return Bench(options, "wrk", Cpus(server=(), wrk=()), jobs, CpuWatch(set()))


def test_the_fastapi_rung_alternates_with_the_service_and_the_floor_on_its_route(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order: list[Key] = []
    bench = _bench(monkeypatch, order)

    comparisons = bench.compare(("service", "floor"), framework={routes.USER.name: "fastapi"})

    user = [target for route, target in order if route == routes.USER.name]
    assert user == ["service", "floor", "fastapi", "fastapi", "floor", "service"]
    listing = [target for route, target in order if route == routes.LIST.name]
    assert listing == ["service", "floor", "floor", "service"]
    by_route = {row.route: row for row in comparisons}
    framework = by_route[routes.USER.name].framework
    assert framework is not None
    assert framework.rps == RATES["fastapi"]
    assert by_route[routes.USER.name].service.rps == RATES["service"]
    assert by_route[routes.CREATE.name].framework is None


def test_without_a_framework_the_comparison_is_service_and_floor_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order: list[Key] = []
    comparisons = _bench(monkeypatch, order).compare(("service", "floor"))

    assert "fastapi" not in {target for _, target in order}
    assert all(row.framework is None for row in comparisons)


def test_the_workers_server_gets_the_services_core_and_wrks_while_wrk_keeps_its_own() -> None:
    cpus = Cpus(server=("taskset", "--cpu-list", "2"), wrk=("taskset", "--cpu-list", "5"))

    spread = cpus.with_wrk_core()

    assert spread.server == ("taskset", "--cpu-list", "2,5")
    assert spread.wrk == cpus.wrk
    assert Cpus(server=(), wrk=()).with_wrk_core() == Cpus(server=(), wrk=())
    assert workers.pinning(cpus) == "2 workers on CPUs 2,5, wrk on CPU 5"


def test_the_estimate_counts_the_fastapi_rung_and_the_workers_unless_skipped() -> None:
    options = parse(["--quick"])
    skipped = parse(["--quick", "--no-workers"])

    per_target = options.warmup + options.repetitions * options.duration
    settled = options.stress_duration + SETTLE_SECONDS
    stress = len(routes.ROUTES) * len(options.stress_connections) * settled
    assert options.estimated_seconds(3, extra_targets=1) == 7 * per_target + stress
    assert workers.estimated_seconds(options) == len(routes.ROUTES) * per_target
    assert (options.workers, skipped.workers) == (True, False)
    assert workers.estimated_seconds(skipped) == 0
