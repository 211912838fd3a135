"""Clients that hold connections without using them, against the served process.

The attack: open connections and send nothing. uvicorn arms its keep-alive
timer only after a response, so such a connection stayed open for ever, and a
few hundred of them took every place under the concurrency limit. `serve`
now closes a silent connection after KEEP_ALIVE_TIMEOUT, and past
MAX_CONCURRENT_CONNECTIONS answers a 503 problem with `Retry-After` (uvicorn's
own is plain text). Both of uvicorn's parsers.
"""

import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest

from tests.support.live_server import serving
from tests.support.problems import assert_problem

KEEP_ALIVE_SECONDS = 2
SILENT_CONNECTIONS = 200

PARSERS = pytest.mark.parametrize("parser", ["httptools", "h11"])


def _address(base_url: str) -> tuple[str, int]:
    url = httpx.URL(base_url)
    assert url.port is not None
    return url.host, url.port


@contextmanager
def _silent(base_url: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections that never send a byte."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(socket.create_connection(_address(base_url), timeout=10))
            for _ in range(count)
        ]


def _closed_by_server(connection: socket.socket) -> bool:
    """The server closed it: reading gives the end of the stream (or a reset), not data."""
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True


@PARSERS
def test_silent_connections_are_closed_after_the_keep_alive_timeout_while_others_are_served(
    parser: str,
) -> None:
    with (
        serving(
            REPOSITORY="memory",
            HTTP_PARSER=parser,
            KEEP_ALIVE_TIMEOUT=str(KEEP_ALIVE_SECONDS),
            LOG_LEVEL="WARNING",
        ) as (base_url, _),
        _silent(base_url, SILENT_CONNECTIONS) as silent,
        httpx.Client(base_url=base_url, timeout=10) as other,
    ):
        opened = time.monotonic()
        served = 0
        while time.monotonic() - opened < KEEP_ALIVE_SECONDS / 2:
            assert other.get("/health/live").status_code == 200
            served += 1
        still_open, _, _ = select.select(silent, [], [], 0)
        assert not still_open, "closed before the timeout"

        deadline = opened + KEEP_ALIVE_SECONDS + 10
        waiting = list(silent)
        while waiting and time.monotonic() < deadline:
            readable, _, _ = select.select(waiting, [], [], deadline - time.monotonic())
            for connection in readable:
                assert _closed_by_server(connection)
                waiting.remove(connection)

        assert not waiting, f"{len(waiting)} of {SILENT_CONNECTIONS} silent connections stay open"
        assert served > 0
        assert other.get("/health/live").status_code == 200


@PARSERS
def test_connections_past_the_limit_get_a_503_problem_with_retry_after(parser: str) -> None:
    with serving(
        REPOSITORY="memory",
        HTTP_PARSER=parser,
        MAX_CONCURRENT_CONNECTIONS="3",
        LOG_LEVEL="WARNING",
    ) as (base_url, _):
        with _silent(base_url, 3):
            response = httpx.get(f"{base_url}/health/live", timeout=10)

            assert_problem(response, 503)
            assert response.headers["retry-after"] == "1"
            assert response.headers["connection"] == "close"

        # The silent ones are gone: there is room again.
        time.sleep(0.5)
        assert httpx.get(f"{base_url}/health/live", timeout=10).status_code == 200
