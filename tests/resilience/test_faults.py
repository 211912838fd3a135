"""What PostgreSQL does to the service in production, done to a real server under a real load.

Each scenario runs `python -m interfaces serve` against a database on the
server these tests control (see conftest), disturbs it, and checks the
answers: 503 problems with Retry-After while the database cannot serve,
never a 500 and never a hang, recovery without restarting the service, and
every acknowledged write stored whole.
"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Final

import httpx
import pytest

from infrastructure.persistence.database import APPLICATION_NAME
from tests.conftest import libpq_url
from tests.resilience.conftest import ControlledPostgres
from tests.resilience.load import (
    CLIENT_TIMEOUT_SECONDS,
    Answer,
    SteadyLoad,
    call,
    check_unavailable_answers,
    sign_up,
    tally,
    verify_writes,
)
from tests.support.live_server import serving

pytestmark = pytest.mark.resilience

SMALL_POOL: Final = {
    "DB_POOL_SIZE": "4",
    "DB_MAX_OVERFLOW": "0",
    "DB_POOL_TIMEOUT": "2",
    "DB_CONNECT_TIMEOUT": "2",
}
OUTAGE_SECONDS: Final = 3.0
ANSWERS_BEFORE_FAULT: Final = 20
ANSWERS_AFTER_FAULT: Final = 40


@contextmanager
def service(postgres: ControlledPostgres, database: str, **environment: str) -> Iterator[str]:
    """The service on `database`, with a small pool unless told otherwise; its base URL."""
    url = libpq_url(postgres.server.url_for(database))
    settings = {**SMALL_POOL, "LOG_LEVEL": "WARNING", **environment}
    with serving(DATABASE_URL=url, **settings) as (base_url, _):
        yield base_url


def _successes(answers: list[Answer]) -> int:
    return sum(1 for answer in answers if answer.status is not None and answer.status < 300)


def _service_backends(postgres: ControlledPostgres, database: str) -> list[int]:
    with postgres.connect(database) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = %s"
            " ORDER BY pid",
            [APPLICATION_NAME, database],
        ).fetchall()
    return [pid for (pid,) in rows]


def test_database_restart_under_load(
    controlled_postgres: ControlledPostgres, faults_database: str
) -> None:
    with service(controlled_postgres, faults_database) as base_url:
        load = SteadyLoad(base_url, sign_up(base_url, "restarted"))
        with load.running():
            load.wait_until(
                lambda answers: _successes(answers) >= ANSWERS_BEFORE_FAULT,
                what="answers before the outage",
            )
            controlled_postgres.stop()
            stopped_at = time.monotonic()
            load.wait_until(
                lambda answers: any(a.status == 503 and a.started >= stopped_at for a in answers),
                what="a 503 during the outage",
            )
            time.sleep(OUTAGE_SECONDS)
            # Requests answered while it starts may find it up already: they are
            # judged neither as during the outage nor as after it.
            restarting_at = time.monotonic()
            controlled_postgres.start()
            back_at = time.monotonic()
            load.wait_until(
                lambda _: load.successes_after(back_at) >= ANSWERS_AFTER_FAULT,
                what="answers after the restart",
            )
        answers = load.answers()

    with controlled_postgres.connect(faults_database) as connection:
        verified = verify_writes(connection, answers)
    during = [a for a in answers if a.started >= stopped_at and a.finished <= restarting_at]
    after = [a for a in answers if a.started >= back_at]
    first_success = min(a.finished for a in after if a.status is not None and a.status < 300)
    figures = tally("database restart under load", answers)
    figures.writes_verified = verified
    figures.report(
        outage_s=f"{restarting_at - stopped_at:.1f}",
        answered_during_outage=len(during),
        slowest_503_s=f"{max(a.finished - a.started for a in during):.2f}",
        recovered_after_s=f"{first_success - back_at:.2f}",
    )

    assert figures.other_5xx == 0
    assert figures.transport_errors == 0, "a request hung or was dropped"
    assert during, "requests were answered while the database was down"
    assert {a.status for a in during} == {503}
    check_unavailable_answers(answers)
    failed_after = [a.status for a in after if a.status is None or a.status >= 300]
    assert not failed_after, "the service recovered by itself from its first request on"


def test_killed_connections_fail_only_the_requests_in_flight(
    controlled_postgres: ControlledPostgres, faults_database: str
) -> None:
    with service(controlled_postgres, faults_database) as base_url:
        token = sign_up(base_url, "terminated")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers) as client:
            post_id = client.post("/posts/", json={"title": "kept", "content": "kept"}).json()["id"]
        # Three clients and one held edit: the pool of four never makes anyone wait.
        load = SteadyLoad(base_url, token, clients=3, pause=0.0)
        with (
            load.running(),
            controlled_postgres.connect(faults_database) as locker,
            ThreadPoolExecutor(max_workers=1) as pool,
        ):
            load.wait_until(
                lambda answers: _successes(answers) >= ANSWERS_BEFORE_FAULT,
                what="answers before the kill",
            )
            with locker.transaction():
                # One request surely in flight when its connection dies: an edit
                # waiting for this row lock.
                locker.execute("SELECT 1 FROM posts WHERE id = %s FOR UPDATE", [post_id])
                edit = pool.submit(_patch, base_url, f"/posts/{post_id}", token)
                _wait_for_lock_wait(controlled_postgres, faults_database)
                terminated = controlled_postgres.terminate_service_connections(faults_database)
            killed_at = time.monotonic()
            in_flight = edit.result()
            load.wait_until(
                lambda _: load.successes_after(killed_at) >= ANSWERS_AFTER_FAULT,
                what="answers after the kill",
            )
        answers = [*load.answers(), in_flight]

    with controlled_postgres.connect(faults_database) as connection:
        verified = verify_writes(connection, answers, preexisting=frozenset({"kept"}))
        kept = connection.execute("SELECT title FROM posts WHERE id = %s", [post_id]).fetchone()
    figures = tally("connections killed", answers)
    figures.writes_verified = verified
    figures.report(connections_terminated=terminated, failed_in_flight=figures.unavailable)

    assert in_flight.status == 503, "the edit in flight on a killed connection"
    assert kept == ("kept",), "and it left the row as it was"
    assert figures.other_5xx == 0
    assert figures.transport_errors == 0
    # An idle pooled connection that died is replaced by the pre-ping at checkout;
    # only a request using one at that moment can fail, and then as a 503.
    assert figures.unavailable <= terminated
    assert {a.status for a in answers if a.status is not None and a.status >= 300} <= {503}
    check_unavailable_answers(answers)
    after = [a.status for a in answers if a.started >= killed_at]
    assert all(status is not None and status < 300 for status in after)


def _get(base_url: str, path: str, token: str | None = None) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT_SECONDS) as client:
        return call(client, "read", client.build_request("GET", path, headers=headers))


def _patch(base_url: str, path: str, token: str) -> Answer:
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "changed", "content": "changed"}
    with httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT_SECONDS) as client:
        request = client.build_request("PATCH", path, headers=headers, json=body)
        return call(client, "write", request)


def _wait_for_lock_wait(postgres: ControlledPostgres, database: str) -> None:
    """Block until one of the service's statements waits on a lock (bounded)."""
    deadline = time.monotonic() + 30
    with postgres.connect(database) as connection:
        while True:
            waiting = connection.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = %s AND wait_event_type = 'Lock'",
                [APPLICATION_NAME],
            ).fetchone()
            if waiting and waiting[0] >= 1:
                return
            if time.monotonic() > deadline:
                pytest.fail("the service's query never waited on the lock")
            time.sleep(0.02)


EXTRA_REQUESTS: Final = 6


def test_exhausted_pool_answers_503_instead_of_queueing(
    controlled_postgres: ControlledPostgres, faults_database: str
) -> None:
    tiny_pool = {"DB_POOL_SIZE": "1", "DB_POOL_TIMEOUT": "1", "DB_STATEMENT_TIMEOUT": "30"}
    with service(controlled_postgres, faults_database, **tiny_pool) as base_url:
        token = sign_up(base_url, "crowded")
        with (
            controlled_postgres.connect(faults_database) as locker,
            ThreadPoolExecutor(max_workers=EXTRA_REQUESTS + 1) as pool,
        ):
            with locker.transaction():
                # The one pooled connection serves a listing that waits on this lock.
                locker.execute("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")
                held = pool.submit(_get, base_url, "/posts/")
                _wait_for_lock_wait(controlled_postgres, faults_database)
                paths = ["/users/1", "/posts/?limit=5", "/users/me"]
                extra = [
                    pool.submit(_get, base_url, paths[n % len(paths)], token)
                    for n in range(EXTRA_REQUESTS)
                ]
                turned_away = [future.result() for future in extra]
                alive = _get(base_url, "/health/live")
            finished_holder = held.result()
        afterwards = [_get(base_url, "/users/me", token) for _ in range(10)]

    figures = tally("pool exhaustion", [finished_holder, *turned_away, *afterwards])
    figures.report(pool_size=1, turned_away=len(turned_away), live_during=alive.status)

    assert [a.status for a in turned_away] == [503] * EXTRA_REQUESTS
    check_unavailable_answers(turned_away)
    assert alive.status == 200, "liveness needs no connection"
    assert finished_holder.status == 200, "the request holding the connection completed"
    assert [a.status for a in afterwards] == [200] * len(afterwards)


def test_statement_timeout_ends_slow_queries_as_503_and_keeps_the_connection(
    controlled_postgres: ControlledPostgres, faults_database: str
) -> None:
    one_connection = {"DB_POOL_SIZE": "1", "DB_POOL_TIMEOUT": "10", "DB_STATEMENT_TIMEOUT": "1"}
    with service(controlled_postgres, faults_database, **one_connection) as base_url:
        token = sign_up(base_url, "patient")
        backends_before = _service_backends(controlled_postgres, faults_database)
        with (
            httpx.Client(
                base_url=base_url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=CLIENT_TIMEOUT_SECONDS,
            ) as client,
            controlled_postgres.connect(faults_database) as locker,
        ):
            with locker.transaction():
                locker.execute("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")
                slow_read = call(client, "read", client.build_request("GET", "/posts/"))
                slow_write = call(
                    client,
                    "write",
                    client.build_request("POST", "/posts/", json={"title": "t", "content": "c"}),
                    title="t",
                )
            recovered = [
                call(client, "read", client.build_request("GET", "/posts/")),
                call(
                    client,
                    "write",
                    client.build_request("POST", "/posts/", json={"title": "u", "content": "d"}),
                    title="u",
                ),
                call(client, "read", client.build_request("GET", "/users/me")),
            ]
        backends_after = _service_backends(controlled_postgres, faults_database)
        with controlled_postgres.connect(faults_database) as connection:
            titles = [title for (title,) in connection.execute("SELECT title FROM posts")]

    figures = tally("slow database", [slow_read, slow_write, *recovered])
    figures.writes_verified = titles.count("u")
    figures.report(statement_timeout_s=1, backends_before=backends_before, after=backends_after)

    for answer in (slow_read, slow_write):
        assert answer.status == 503
        assert answer.problem_type == "/problems/storage-timeout"
    check_unavailable_answers([slow_read, slow_write])
    assert [a.status for a in recovered] == [200, 201, 200]
    assert titles == ["u"], "the cancelled write left nothing behind"
    assert len(backends_before) == 1
    assert backends_after == backends_before, "the same connection served on, clean"
