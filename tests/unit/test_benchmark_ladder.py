"""The benchmark's ladder: its schedule's order, its ratios and table, and its FastAPI rung."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from benchmarks.ladder_apps import users_app
from benchmarks.options import parse
from benchmarks.report import Step, Summary, ladder_json, ladder_table, step_ratios
from benchmarks.schedule import alternate


def _step(rung: str, rps: float, adds: str = "a layer") -> Step:
    summary = Summary(rps=rps, p50_ms=1.5, p99_ms=12.25, errors=0, spread=0.04)
    return Step(rung=rung, adds=adds, summary=summary)


def test_the_order_of_the_rungs_is_reversed_every_other_repetition() -> None:
    rungs = ("floor", "fastapi", "fastapi+sqlalchemy", "service")

    orders = [alternate(rungs, repetition) for repetition in range(3)]

    assert orders == [rungs, rungs[::-1], rungs]


def test_each_rung_is_compared_with_the_floor_and_with_the_rung_below() -> None:
    steps = [_step("floor", 10_000), _step("fastapi", 5_000), _step("service", 2_500)]

    assert step_ratios(steps) == [(1.0, None), (0.5, 0.5), (0.25, 0.5)]


def test_a_rung_above_one_that_served_nothing_has_no_ratio() -> None:
    steps = [_step("floor", 0), _step("fastapi", 5_000)]

    assert step_ratios(steps) == [(None, None), (None, None)]


def test_the_ladder_table_has_a_row_per_rung_with_its_figures_and_ratios() -> None:
    steps = [_step("floor", 9_832, "bare ASGI"), _step("fastapi", 4_989, "FastAPI")]

    lines = ladder_table(steps).splitlines()

    assert lines[0].split() == [
        "rung",
        "adds",
        "req/s",
        "spread",
        "p50",
        "p99",
        "errors",
        "/floor",
        "/prev",
    ]
    assert set(lines[1]) == {"-"}
    floor = ["floor", "bare", "ASGI", "9,832", "4%", "1.50ms", "12.25ms", "0", "1.00x", "-"]
    assert lines[2].split() == floor
    assert lines[3].split()[-2:] == ["0.51x", "0.51x"]
    assert len({len(line) for line in lines}) == 1


def test_the_ladders_json_keeps_the_figures_and_the_ratios() -> None:
    (floor, fastapi) = ladder_json([_step("floor", 8_000), _step("fastapi", 4_000)])

    assert floor["rung"] == "floor"
    assert floor["summary"]["rps"] == 8_000
    assert (floor["to_floor"], floor["to_previous"]) == (1.0, None)
    assert (fastapi["to_floor"], fastapi["to_previous"]) == (0.5, 0.5)


def test_the_ladder_takes_the_main_runs_load_options() -> None:
    options = parse(["--ladder", "--quick", "--repetitions", "5", "--connections", "16"])

    assert options.ladder
    assert (options.duration, options.warmup) == (2, 1)
    assert (options.repetitions, options.connections) == (5, 16)
    assert not parse([]).ladder


@asynccontextmanager
async def _no_lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


async def _get(fetch_row: Sequence[Any] | None, path: str) -> httpx.Response:
    async def fetch(user_id: int) -> Sequence[Any] | None:
        return fetch_row

    transport = httpx.ASGITransport(app=users_app(fetch, _no_lifespan))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)


async def test_the_fastapi_rung_answers_a_row_as_the_service_answers_a_user() -> None:
    when = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    row = (7, "ada@example.org", "ada", "argon2-hash", when, when)

    response = await _get(row, "/users/7")

    assert response.status_code == 200
    assert response.json() == {"id": 7, "username": "ada", "created_at": "2026-11-25T12:00:00Z"}


async def test_the_fastapi_rung_answers_404_and_422_as_the_floor_does() -> None:
    assert (await _get(None, "/users/7")).status_code == 404
    assert (await _get(None, "/users/0")).status_code == 422
    assert (await _get(None, "/users/abc")).status_code == 422
