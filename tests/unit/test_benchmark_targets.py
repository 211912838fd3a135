"""Issue 18's targets, checked against constructed figures: each one met, and each one missed."""

import pytest

from benchmarks import routes, targets
from benchmarks.report import Comparison, StressRun, Summary
from benchmarks.wrk import Result

MEMORY: str = "Peak RSS of the service during the load < 120 MB"


def _summary(rps: float) -> Summary:
    return Summary(rps=rps, p50_ms=1.0, p99_ms=2.0, errors=0, spread=0.0)


def _stress(
    route: str, connections: int, *, p50_ms: float = 2.0, p99_ms: float = 4.0, timeouts: int = 0
) -> StressRun:
    result = Result(
        requests=1000,
        seconds=1.0,
        p50_ms=p50_ms,
        p99_ms=p99_ms,
        max_ms=p99_ms,
        non2xx=0,
        socket_errors=0,
        timeouts=timeouts,
    )
    return StressRun(route=route, connections=connections, result=result)


def _checks(
    comparisons: list[Comparison], stress: list[StressRun] | None = None
) -> dict[str, targets.Check]:
    return {item.target: item for item in targets.check(comparisons, stress or [], 100 * 1024)}


@pytest.mark.parametrize(
    ("service", "met", "reached"), [(500, True, "0.50"), (490, False, "0.49"), (900, True, "0.90")]
)
def test_the_service_keeps_half_the_floor_on_every_route(
    service: float, *, met: bool, reached: str
) -> None:
    comparisons = [
        Comparison(route.name, service=_summary(service), floor=_summary(1000))
        for route in routes.ROUTES
    ]

    checks = _checks(comparisons)

    for route in routes.ROUTES:
        item = checks[f"{route.name}: service/floor >= 0.5"]
        assert (item.reached, item.met) == (reached, met)


@pytest.mark.parametrize(
    ("framework", "met", "reached"), [(1000, True, "0.85"), (1010, False, "0.84")]
)
def test_the_service_keeps_85_percent_of_the_fastapi_rung(
    framework: float, *, met: bool, reached: str
) -> None:
    row = Comparison(
        routes.USER.name,
        service=_summary(850),
        floor=_summary(1000),
        framework=_summary(framework),
    )

    item = _checks([row])["GET /users/{id}: service/fastapi >= 0.85"]

    assert (item.reached, item.met) == (reached, met)


def test_the_fastapi_target_is_missed_when_the_rung_was_not_measured() -> None:
    row = Comparison(routes.USER.name, service=_summary(2000), floor=_summary(1000))

    item = _checks([row])["GET /users/{id}: service/fastapi >= 0.85"]

    assert (item.reached, item.met) == ("not measured", False)


def test_a_rung_that_served_nothing_misses_the_target_rather_than_dividing_by_zero() -> None:
    row = Comparison(
        routes.USER.name, service=_summary(900), floor=_summary(0), framework=_summary(0)
    )

    checks = _checks([row])

    assert not checks["GET /users/{id}: service/floor >= 0.5"].met
    assert not checks["GET /users/{id}: service/fastapi >= 0.85"].met


def test_only_the_routes_the_fastapi_rung_serves_have_its_target() -> None:
    rows = [
        Comparison(route.name, service=_summary(900), floor=_summary(1000))
        for route in (routes.LIST, routes.CREATE)
    ]

    assert not [name for name in _checks(rows) if "fastapi" in name]


@pytest.mark.parametrize(
    ("p99_ms", "met", "reached"),
    [(6.0, True, "3.0x p50"), (4.8, True, "2.4x p50"), (6.2, False, "3.1x p50")],
)
def test_the_tail_at_64_connections_is_at_most_three_times_the_median_on_every_route(
    p99_ms: float, *, met: bool, reached: str
) -> None:
    stress = [_stress(route.name, 64, p50_ms=2.0, p99_ms=p99_ms) for route in routes.ROUTES]

    checks = _checks([], stress)

    for route in routes.ROUTES:
        item = checks[f"{route.name} at 64 connections: p99 <= 3x p50"]
        assert (item.reached, item.met) == (reached, met)


def test_the_tail_is_a_ratio_so_slow_milliseconds_alone_do_not_miss_it() -> None:
    checks = _checks([], [_stress(routes.CREATE.name, 64, p50_ms=100.0, p99_ms=250.0)])

    assert checks["POST /posts/ at 64 connections: p99 <= 3x p50"].met


def test_a_run_without_a_median_misses_the_tail_target() -> None:
    checks = _checks([], [_stress(routes.USER.name, 64, p50_ms=0.0, p99_ms=1.0)])

    item = checks["GET /users/{id} at 64 connections: p99 <= 3x p50"]
    assert (item.reached, item.met) == ("no p50", False)


def test_the_tail_is_checked_at_64_connections_only() -> None:
    checks = _checks([], [_stress(routes.USER.name, 256, p50_ms=1.0, p99_ms=50.0)])

    assert not [name for name in checks if "p50" in name]


def test_errors_and_timeouts_are_checked_at_every_stress_count() -> None:
    stress = [
        _stress(routes.USER.name, 64),
        _stress(routes.USER.name, 256, timeouts=3),
    ]

    checks = _checks([], stress)

    assert checks["GET /users/{id} at 64 connections: 0 errors and timeouts"].met
    missed = checks["GET /users/{id} at 256 connections: 0 errors and timeouts"]
    assert (missed.reached, missed.met) == ("3", False)


def test_the_peak_rss_is_checked_in_decimal_megabytes() -> None:
    (under,) = targets.check([], [], 116 * 1000 * 1000 // 1024)
    (over,) = targets.check([], [], 121 * 1000 * 1000 // 1024)

    assert (under.target, under.reached, under.met) == (MEMORY, "116.0 MB", True)
    assert (over.reached, over.met) == ("121.0 MB", False)


def test_an_unknown_peak_misses_the_memory_target() -> None:
    (memory,) = targets.check([], [], None)
    assert (memory.reached, memory.met) == ("unknown", False)


def test_the_table_shows_each_target_its_figure_and_whether_it_was_met() -> None:
    row = Comparison(
        routes.USER.name, service=_summary(810), floor=_summary(1000), framework=_summary(1000)
    )
    stress = [_stress(routes.USER.name, 64, p50_ms=2.0, p99_ms=4.8)]

    lines = targets.table(targets.check([row], stress, 100 * 1024)).splitlines()

    assert lines[0].split() == ["target", "reached", "met"]
    assert lines[2].split()[-2:] == ["0.81", "yes"]
    assert lines[3].split()[-2:] == ["0.81", "NO"]
    assert lines[3].startswith("GET /users/{id}: service/fastapi >= 0.85")
    assert lines[5].startswith("GET /users/{id} at 64 connections: p99 <= 3x p50")
    assert lines[5].split()[-3:] == ["2.4x", "p50", "yes"]
    assert {len(line) - len(line.split()[-1]) for line in lines[2:]} == {len(lines[0]) - 3}
