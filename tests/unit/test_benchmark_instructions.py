"""The instruction counts' pure parts: callgrind's total, the per-request arithmetic, the table,
the ratio, and the in-process driver's refusal to count an answer that is not a 2xx."""

import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI, HTTPException

from benchmarks import asgi, callgrind, debian, inprocess, routes
from benchmarks.instructions import Measurement, per_request, ratio, table
from benchmarks.options import parse

CALLGRIND_LOG = """\
==30303== Callgrind, a call-graph generating cache profiler
==30303== Command: /work/.venv/bin/python -m benchmarks.inprocess drive service ...
==30303==
==30303== Events    : Ir
==30303== Collected : 1234567890
==30303==
==30303== I   refs:      1,234,567,890
"""


def test_the_total_is_read_from_callgrinds_collected_line() -> None:
    assert callgrind.collected(CALLGRIND_LOG) == 1_234_567_890


def test_a_total_with_thousands_separators_is_read_too() -> None:
    assert callgrind.collected("==7== Collected : 9,876,543\n") == 9_876_543


@pytest.mark.parametrize(
    "log",
    [
        "==7== I   refs:      1,234\n",
        "==7== Collected : 10\n==8== Collected : 20\n",
    ],
    ids=["none", "two processes"],
)
def test_a_log_without_exactly_one_total_is_refused(log: str) -> None:
    with pytest.raises(ValueError, match="'Collected' line"):
        callgrind.collected(log)


def test_one_request_costs_what_the_long_run_did_beyond_the_short_one() -> None:
    # Start-up (500M) is in both runs; 640 more requests at 1.1M each are in the long one.
    assert per_request(500_000_000, 500_000_000 + 640 * 1_100_000) == 1_100_000


def test_the_run_sizes_are_the_callers_to_give() -> None:
    assert per_request(1_000, 3_000, short=10, long=30) == 100


def test_a_long_run_that_counted_no_more_than_the_short_one_is_refused() -> None:
    with pytest.raises(ValueError, match="did not do its work"):
        per_request(2_000, 2_000)


def _rows() -> list[Measurement]:
    def row(target: str, route: routes.Route, per_request: int) -> Measurement:
        return Measurement(target, route.name, 10**9, 10**9 + 640 * per_request)

    return [
        row("service", routes.USER, 1_011_400),
        row("service", routes.LIST, 2_500_600),
        row("service", routes.CREATE, 1_900_000),
        row("fastapi", routes.USER, 748_000),
    ]


def test_the_ratio_is_the_services_count_over_the_fastapi_rungs_on_get_user() -> None:
    assert ratio(_rows()) == pytest.approx(1_011_400 / 748_000)


def test_there_is_no_ratio_without_the_fastapi_rung() -> None:
    assert ratio(_rows()[:3]) is None


def test_the_table_shows_thousands_of_instructions_per_route_and_the_ratio() -> None:
    lines = table(_rows()).splitlines()

    assert lines[0].split() == ["target", "route", "instructions/request"]
    assert set(lines[1]) == {"-"}
    assert lines[2].split() == ["service", "GET", "/users/{id}", "1,011k"]
    assert lines[3].split() == ["service", "GET", "/posts/?limit=20", "2,501k"]
    assert lines[5].split() == ["fastapi", "GET", "/users/{id}", "748k"]
    assert lines[-1] == "service / fastapi on GET /users/{id}: 1.35x"


def test_instructions_is_its_own_kind_of_run_and_excludes_the_ladder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert parse(["--instructions"]).instructions
    assert not parse([]).instructions
    with pytest.raises(SystemExit):
        parse(["--instructions", "--ladder"])
    assert "not allowed with" in capsys.readouterr().err


def test_a_missing_command_that_cannot_be_installed_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)

    with pytest.raises(debian.CommandUnavailableError, match="apt-get install -y valgrind"):
        debian.ensure_command("valgrind")


def _fake_valgrind(folder: Path) -> str:
    """Runs the "program" `count N` by logging N as callgrind would, and `fail` by failing."""
    path = folder / "valgrind"
    path.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "log = next(a for a in sys.argv if a.startswith('--log-file='))[len('--log-file='):]\n"
        "program = sys.argv[4:]\n"
        "if program[0] == 'fail':\n"
        "    print('the program broke')\n"
        "    sys.exit(3)\n"
        "open(log, 'w').write(f'==1== Collected : {program[1]}\\n')\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_counts_come_back_in_the_programs_order_whichever_ends_first(tmp_path: Path) -> None:
    programs = [callgrind.Program(f"p{n}", ("count", str(n))) for n in (30, 10, 20)]

    counts = callgrind.count(
        _fake_valgrind(tmp_path),
        programs,
        folder=tmp_path,
        environment=dict(os.environ),
        at_once=2,
    )

    assert counts == [30, 10, 20]


def test_a_program_that_fails_stops_the_count_with_its_output(tmp_path: Path) -> None:
    programs = [
        callgrind.Program("fine", ("count", "1")),
        callgrind.Program("broken", ("fail",)),
    ]

    with pytest.raises(RuntimeError, match=r"(?s)broken failed .*exit status 3.*the program broke"):
        callgrind.count(
            _fake_valgrind(tmp_path),
            programs,
            folder=tmp_path,
            environment=dict(os.environ),
            at_once=2,
        )


def _app(missing_user: int) -> FastAPI:
    started: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started.append("started")
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/users/{user_id}")
    async def get_user(user_id: int) -> dict[str, object]:
        if user_id == missing_user or not started:
            raise HTTPException(status_code=404, detail="User not found")
        return {"id": user_id}

    return app


async def test_the_driver_runs_the_lifespan_and_sends_every_request() -> None:
    app = _app(missing_user=0)
    requests = inprocess.requests_of(routes.USER, token="", user_ids=[1, 2, 3])

    async with asgi.Lifespan(app) as lifespan:
        response = await asgi.call(app, requests[1], lifespan.state)
        await inprocess.load(app, requests, 2 * inprocess.CALLERS, lifespan.state)

    assert (response.status, bytes(response.body)) == (200, b'{"id":2}')


async def test_one_answer_that_is_not_a_2xx_fails_the_whole_run() -> None:
    app = _app(missing_user=3)
    requests = inprocess.requests_of(routes.USER, token="", user_ids=[1, 2, 3])

    async with asgi.Lifespan(app) as lifespan:
        with pytest.raises(ExceptionGroup) as failed:
            await inprocess.load(app, requests, inprocess.CALLERS, lifespan.state)

    assert failed.group_contains(inprocess.Not2xxError, match=r"GET /users/3 answered 404")


async def test_a_count_the_callers_cannot_share_evenly_is_refused() -> None:
    with pytest.raises(ValueError, match="split evenly"):
        await inprocess.load(_app(missing_user=0), [], inprocess.CALLERS + 1, {})


def test_the_post_route_sends_the_benchmarks_body_with_the_token() -> None:
    (request,) = inprocess.requests_of(routes.CREATE, token="abc", user_ids=[])
    scope = request.scope({})

    assert (scope["method"], scope["path"], request.body) == (
        "POST",
        "/posts/",
        routes.POST_BODY.encode(),
    )
    assert (b"authorization", b"Bearer abc") in scope["headers"]
    assert (b"content-length", str(len(request.body)).encode()) in scope["headers"]


def test_the_list_route_splits_its_query_from_its_path() -> None:
    (request,) = inprocess.requests_of(routes.LIST, token="", user_ids=[])
    scope = request.scope({})

    assert (scope["path"], scope["query_string"]) == ("/posts/", b"limit=20")
