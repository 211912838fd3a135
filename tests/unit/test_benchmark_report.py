"""The benchmark's memory line and its check of the targets against a run's figures."""

from benchmarks import routes, targets
from benchmarks.report import Comparison, StressRun, Summary, memory_line
from benchmarks.wrk import Result


def test_the_memory_line_shows_the_peak_and_the_resident_size_at_the_end() -> None:
    assert memory_line("service", 175 * 1024, 107 * 1024) == (
        "Peak RSS (VmHWM) of the service: 175.0 MiB (RSS at the end: 107.0 MiB)"
    )


def test_the_memory_line_says_when_proc_is_missing() -> None:
    assert memory_line("floor", None, None) == "Peak RSS (VmHWM) of the floor: unknown (no /proc)"


def _summary(rps: float) -> Summary:
    return Summary(rps=rps, p50_ms=1.0, p99_ms=2.0, errors=0, spread=0.0)


def _stress(route: str, connections: int, *, p99_ms: float, timeouts: int = 0) -> StressRun:
    result = Result(
        requests=1000,
        seconds=1.0,
        p50_ms=1.0,
        p99_ms=p99_ms,
        max_ms=p99_ms,
        non2xx=0,
        socket_errors=0,
        timeouts=timeouts,
    )
    return StressRun(route=route, connections=connections, result=result)


def test_each_target_is_checked_against_the_runs_figures() -> None:
    comparisons = [
        Comparison(route=routes.USER.name, service=_summary(650), floor=_summary(1000)),
        Comparison(route=routes.CREATE.name, service=_summary(400), floor=_summary(1000)),
    ]
    stress = [
        _stress(routes.LIST.name, 64, p99_ms=49.0),
        _stress(routes.USER.name, 64, p99_ms=51.0),
        _stress(routes.CREATE.name, 64, p99_ms=500.0),
        _stress(routes.USER.name, 256, p99_ms=900.0, timeouts=3),
    ]

    checks = {item.target: item for item in targets.check(comparisons, stress, 110 * 1024)}

    assert checks["GET /users/{id}: service/floor >= 0.6"].met
    assert not checks["POST /posts/: service/floor >= 0.5"].met
    assert checks["GET /posts/?limit=20 at 64 connections: p99 < 50 ms"].met
    assert not checks["GET /users/{id} at 64 connections: p99 < 50 ms"].met
    assert "POST /posts/ at 64 connections: p99 < 50 ms" not in checks  # reads only
    assert not checks["GET /users/{id} at 256 connections: 0 errors and timeouts"].met
    assert checks["Peak RSS of the service during the load < 120 MB"].reached == "115.3 MB"
    assert checks["Peak RSS of the service during the load < 120 MB"].met


def test_an_unknown_peak_misses_the_memory_target() -> None:
    (memory,) = targets.check([], [], None)
    assert (memory.reached, memory.met) == ("unknown", False)


def test_the_memory_line_names_the_stretch_it_measured() -> None:
    assert memory_line("service", 100 * 1024, during="during the load") == (
        "Peak RSS (VmHWM) of the service during the load: 100.0 MiB"
    )
