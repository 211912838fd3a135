"""The benchmark's tables and JSON: the comparison with the FastAPI rung, the tail, the workers."""

from benchmarks import routes, workers
from benchmarks.report import (
    Comparison,
    StressRun,
    Summary,
    as_json,
    comparison_table,
    memory_line,
    stress_table,
)
from benchmarks.wrk import Result


def test_the_memory_line_shows_the_peak_and_the_resident_size_at_the_end() -> None:
    assert memory_line("service", 175 * 1024, 107 * 1024) == (
        "Peak RSS (VmHWM) of the service: 175.0 MiB (RSS at the end: 107.0 MiB)"
    )


def test_the_memory_line_says_when_proc_is_missing() -> None:
    assert memory_line("floor", None, None) == "Peak RSS (VmHWM) of the floor: unknown (no /proc)"


def test_the_memory_line_names_the_stretch_it_measured() -> None:
    assert memory_line("service", 100 * 1024, during="during the load") == (
        "Peak RSS (VmHWM) of the service during the load: 100.0 MiB"
    )


def _summary(rps: float, p50_ms: float = 1.0, p99_ms: float = 2.0) -> Summary:
    return Summary(rps=rps, p50_ms=p50_ms, p99_ms=p99_ms, errors=0, spread=0.0)


def _result(p50_ms: float, p99_ms: float) -> Result:
    return Result(
        requests=3000,
        seconds=2.0,
        p50_ms=p50_ms,
        p99_ms=p99_ms,
        max_ms=40.0,
        non2xx=1,
        socket_errors=2,
        timeouts=3,
    )


def test_the_comparison_shows_the_fastapi_rung_and_its_ratio_where_it_was_measured() -> None:
    rows = [
        Comparison(
            routes.USER.name,
            service=_summary(900, p50_ms=3.0),
            floor=_summary(1800),
            framework=_summary(1000, p50_ms=2.0),
        ),
        Comparison(routes.LIST.name, service=_summary(500), floor=_summary(1000)),
    ]

    lines = comparison_table(rows).splitlines()

    names = [line[22:35].strip() for line in lines[2:]]
    user = ["service", "floor", "fastapi", "svc/floor", "svc/fastapi"]
    assert names == [*user, "service", "floor", "svc/floor"]
    svc_fastapi = lines[6].split()
    assert svc_fastapi[:3] == ["svc/fastapi", "0.90x", "1.50x"]
    assert lines[5].split()[:2] == ["svc/floor", "0.50x"]
    assert len({len(lines[index]) for index in (0, 2, 3, 4, 7, 8)}) == 1


def test_the_stress_table_shows_p50_and_the_tail_as_a_ratio_of_it() -> None:
    runs = [
        StressRun(routes.CREATE.name, 64, _result(p50_ms=4.0, p99_ms=10.0)),
        StressRun(routes.USER.name, 256, _result(p50_ms=0.0, p99_ms=10.0)),
    ]

    lines = stress_table(runs).splitlines()

    assert lines[0].split() == [
        "route",
        "conns",
        "req/s",
        "p50",
        "p99",
        "p99/p50",
        "max",
        "non-2xx",
        "socket",
        "timeouts",
    ]
    figures = ["64", "1,500", "4.0ms", "10.0ms", "2.5x", "40ms", "1", "2", "3"]
    assert lines[2].split() == ["POST", "/posts/", *figures]
    assert lines[3].split()[6] == "-"
    assert len({len(line) for line in lines}) == 1


def test_the_json_keeps_the_fastapi_rung_the_ratios_and_the_tail() -> None:
    comparisons = [
        Comparison(
            routes.USER.name, service=_summary(850), floor=_summary(1700), framework=_summary(1000)
        ),
        Comparison(routes.CREATE.name, service=_summary(400), floor=_summary(0)),
    ]
    stress = [StressRun(routes.USER.name, 64, _result(p50_ms=2.0, p99_ms=5.0))]

    saved = as_json(comparisons, stress)

    user, create = saved["comparison"]
    assert user["framework"]["rps"] == 1000
    assert (user["service_over_floor"], user["service_over_framework"]) == (0.5, 0.85)
    assert create["framework"] is None
    assert (create["service_over_floor"], create["service_over_framework"]) == (None, None)
    assert saved["stress"][0]["p99_over_p50"] == 2.5
    assert saved["stress"][0]["p50_ms"] == 2.0


def test_the_workers_table_sets_two_workers_beside_one() -> None:
    gains = [
        workers.WorkersGain(routes.USER.name, one=_summary(1000), several=_summary(1600)),
        workers.WorkersGain(routes.LIST.name, one=_summary(0), several=_summary(700)),
    ]

    lines = workers.table(gains).splitlines()

    assert lines[0].split() == ["route", "1", "worker", "2", "workers", "2/1", "errors"]
    assert lines[2].split() == ["GET", "/users/{id}", "1,000", "1,600", "1.60", "0"]
    assert lines[3].split()[-2] == "-"
    saved = workers.as_json(gains)
    assert saved[0]["2_workers"]["rps"] == 1600
    assert saved[0]["ratio"] == 1.6
    assert saved[1]["ratio"] is None
