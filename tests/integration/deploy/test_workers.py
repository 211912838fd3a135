"""Several uvicorn workers behind PgBouncer: a client's requests may land on any of them.

`serve --workers 3` runs against the run's database through a PgBouncer in
transaction pooling mode. The test keeps one connection on each worker (the
kernel tells which worker accepted which connection) and sends each step of a
client's session to a different worker than the step before: a token issued
by one is accepted by the others, a cursor from one pages on another, and
what one writes the others read.
"""

import re
import time
from collections.abc import Iterator
from typing import Final
from urllib.parse import urlsplit

import pytest

from infrastructure.persistence.database import Databases
from tests.conftest import libpq_url
from tests.support.live_server import serving
from tests.support.pgbouncer import PgBouncer
from tests.support.workers import WorkerConnection, has_proc

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not has_proc(), reason="finding a connection's worker needs Linux /proc"),
]

WORKERS: Final = 3
BURST: Final = 60
MAX_CONNECTIONS: Final = 300
WORKERS_READY_SECONDS: Final = 20


@pytest.fixture
def one_connection_per_worker(
    pgbouncer: PgBouncer, database_url: str, pg_databases: Databases
) -> Iterator[list[WorkerConnection]]:
    """A connection to each worker of a server on PgBouncer; pg_databases empties the tables
    after."""
    logins = pgbouncer.logins(database_url)
    with serving(
        "--workers",
        str(WORKERS),
        DATABASE_URL=libpq_url(pgbouncer.url_for(database_url)),
        DB_PREPARED_STATEMENTS="false",
    ) as (base_url, process):
        port = urlsplit(base_url).port
        assert port is not None
        opened: list[WorkerConnection] = []
        by_worker: dict[int, WorkerConnection] = {}
        try:
            # Connections that land on a worker already covered stay open, so
            # that the kernel hands the next ones out among the others too. The
            # server answers once one worker is up; the others may still be
            # starting, so past the first burst the connections come slower,
            # until WORKERS_READY_SECONDS.
            deadline = time.monotonic() + WORKERS_READY_SECONDS
            while len(by_worker) < WORKERS and len(opened) < MAX_CONNECTIONS:
                connection = WorkerConnection(port, process.pid)
                opened.append(connection)
                by_worker.setdefault(connection.worker, connection)
                if len(opened) >= BURST and time.monotonic() < deadline:
                    time.sleep(0.1)
            assert len(by_worker) == WORKERS, (
                f"{len(opened)} connections reached only {len(by_worker)} workers"
            )
            yield list(by_worker.values())
        finally:
            for connection in opened:
                connection.close()
    assert pgbouncer.logins(database_url) > logins, "the workers went through PgBouncer"


def _next(headers: dict[str, str]) -> str | None:
    found = re.search(r'<([^>]+)>;\s*rel="next"', headers.get("link", ""))
    if found is None:
        return None
    parts = urlsplit(found[1])
    return f"{parts.path}?{parts.query}"


def test_a_session_moves_between_workers(one_connection_per_worker: list[WorkerConnection]) -> None:
    a, b, c = one_connection_per_worker
    assert len({a.worker, b.worker, c.worker}) == WORKERS

    account = {"email": "ada@example.com", "username": "ada", "password": "correct horse"}
    status, _, user = a.request("POST", "/users/", json_body=account)
    assert status == 201, user
    status, _, token = b.request(
        "POST", "/auth/token", form={"username": "ada", "password": "correct horse"}
    )
    assert status == 200, token
    access_token = token["access_token"]
    for worker in (c, a):  # issued by b, accepted by the others
        status, _, me = worker.request("GET", "/users/me", token=access_token)
        assert (status, me["id"]) == (200, user["id"])

    published = []
    for n in range(6):
        writer = (a, b, c)[n % WORKERS]
        status, _, post = writer.request(
            "POST", "/posts/", json_body={"title": f"Post {n}", "content": "x"}, token=access_token
        )
        assert status == 201, post
        published.append(post["id"])

    seen: list[int] = []
    path: str | None = "/posts/?limit=2"
    readers = iter((c, a, b, c))
    while path is not None:
        status, headers, page = next(readers).request("GET", path)
        assert status == 200, page
        seen += [post["id"] for post in page]
        path = _next(headers)
    assert seen == published[::-1], "a cursor from one worker pages on the next"

    status, _, edited = a.request(
        "PATCH", f"/posts/{published[1]}", json_body={"title": "Edited"}, token=access_token
    )
    assert status == 200, edited
    for reader in (b, c):
        status, _, post = reader.request("GET", f"/posts/{published[1]}")
        assert (status, post["title"]) == (200, "Edited")

    status, _, _ = c.request("DELETE", "/users/me", token=access_token)
    assert status == 204
    for worker in (a, b):  # a deleted account's token ends on every worker
        status, _, _ = worker.request("GET", "/users/me", token=access_token)
        assert status == 401
