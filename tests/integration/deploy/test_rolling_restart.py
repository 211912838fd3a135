"""Two `serve` instances behind HAProxy (deploy/haproxy.cfg), restarted one at a time under load.

What a rolling restart must not do, checked under a bounded stream of
reads, writes and page-following: fail a request, lose a write it
acknowledged, or make a token or a cursor one instance issued unusable on
the other (both share JWT_SECRET, which signs both).
"""

import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Final

import httpx
import psycopg
import pytest

from infrastructure.persistence import migrator
from tests.conftest import in_thread, libpq_url
from tests.support.cli import CLI
from tests.support.haproxy import Haproxy, HaproxyUnavailableError, find_haproxy, running_haproxy
from tests.support.live_server import free_port, served_by
from tests.support.paths import PROJECT_ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.resilience]

CLIENTS: Final = 3
MAX_REQUESTS_PER_CLIENT: Final = 200
"""The bound on the load: a few hundred requests in all, whatever the machine's speed."""
PAUSE_SECONDS: Final = 0.05
PAGE: Final = 3
NEXT: Final = re.compile(r'<([^>]+)>; rel="next"')
JWT_SECRET: Final = secrets.token_urlsafe(48)


@pytest.fixture(scope="module")
def haproxy_binary() -> str:
    try:
        return find_haproxy()
    except HaproxyUnavailableError as error:
        pytest.skip(str(error))


@dataclass
class Load:
    """What the clients saw, shared between their threads."""

    token: str
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    acknowledged: dict[int, str] = field(default_factory=dict)
    tokens_accepted_by: Counter[str] = field(default_factory=Counter)
    cursors_crossed: int = 0

    def count(self) -> int:
        with self.lock:
            return self.sent


class Instance:
    """One `serve` on a fixed port, which it keeps across restarts."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self._database_url = database_url
        self._stack = ExitStack()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._stack.enter_context(
            served_by(
                [*CLI],
                PROJECT_ROOT,
                (),
                {
                    "DATABASE_URL": self._database_url,
                    "JWT_SECRET": JWT_SECRET,
                    "SHUTDOWN_TIMEOUT": "10",
                    "DB_POOL_SIZE": "4",
                },
                port=self.port,
            )
        )

    def stop(self) -> None:
        """SIGTERM, and wait until it has finished its requests and exited."""
        self._stack.close()


@pytest.fixture
def database(create_database: Callable[[], str]) -> str:
    url = create_database()
    in_thread(migrator.upgrade, url)
    return libpq_url(url)


@pytest.fixture
def instances(database: str) -> Iterator[list[Instance]]:
    started = [Instance(database), Instance(database)]
    try:
        for instance in started:
            instance.start()
        yield started
    finally:
        for instance in started:
            instance.stop()


def _client_loop(load: Load, base_url: str, worker: int) -> None:
    headers = {"Authorization": f"Bearer {load.token}"}
    next_page: tuple[str, str] | None = None  # a cursor's URL, and who issued it
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for n in range(MAX_REQUESTS_PER_CLIENT):
            if load.stop.is_set():
                return
            kind = n % 3
            try:
                if kind == 0:
                    title = f"w{worker}-{n}"
                    response = client.post(
                        "/posts/",
                        json={"title": title, "content": "Written during a rolling restart."},
                        headers={"Idempotency-Key": str(uuid.uuid4())},
                    )
                elif kind == 1:
                    response = client.get("/users/me")
                else:
                    url = f"/posts/?limit={PAGE}" if next_page is None else next_page[0]
                    response = client.get(url)
            except httpx.TransportError as error:
                with load.lock:
                    load.sent += 1
                    load.failures.append(f"{worker}-{n}: {error!r}")
                continue
            served_by = response.headers.get("x-served-by", "?")
            with load.lock:
                load.sent += 1
                if not response.is_success:
                    load.failures.append(f"{worker}-{n}: {response.status_code} {response.text}")
                elif kind == 0:
                    load.acknowledged[response.json()["id"]] = title
                elif kind == 1:
                    load.tokens_accepted_by[served_by] += 1
                else:
                    if next_page is not None and next_page[1] != served_by:
                        load.cursors_crossed += 1
                    found = NEXT.search(response.headers.get("link", ""))
                    next_page = None if found is None else (found[1], served_by)
            time.sleep(PAUSE_SECONDS)


def _restart(instance: Instance, name: str, haproxy: Haproxy) -> None:
    """Drain `name` through HAProxy's runtime API, restart it, and put it back in rotation.

    Draining first matters: a bare SIGTERM closes the listener with
    connections still in its accept queue, which the kernel resets; HAProxy
    reports such a reset on a kept-alive client connection by closing that
    connection without an answer (its way of saying "retry", which an API
    client does not do for a POST). Without the drain, one request in a few
    hundred failed that way here.
    """
    haproxy.command(f"set server api/{name} state drain")
    haproxy.wait_until_idle(name)
    instance.stop()
    instance.start()
    haproxy.command(f"set server api/{name} state ready")
    haproxy.wait_until(name, "UP")


def _wait_for(load: Load, more: int, threads: list[threading.Thread]) -> None:
    """Until the clients have sent `more` requests, or all stopped at their bound."""
    target = load.count() + more
    while load.count() < target and any(thread.is_alive() for thread in threads):
        time.sleep(0.02)


def test_a_rolling_restart_behind_haproxy_fails_no_request_and_loses_no_write(
    haproxy_binary: str, instances: list[Instance], database: str
) -> None:
    with running_haproxy(haproxy_binary, [one.address for one in instances]) as haproxy:
        haproxy.wait_until("api1", "UP")
        haproxy.wait_until("api2", "UP")
        with httpx.Client(base_url=haproxy.url, timeout=30) as setup:
            body = {"email": "roll@example.com", "username": "roller", "password": "pass-word-1"}
            assert setup.post("/users/", json=body).status_code == 201
            token = setup.post(
                "/auth/token", data={"username": "roller", "password": "pass-word-1"}
            ).json()["access_token"]
        load = Load(token=token)
        threads = [
            threading.Thread(target=_client_loop, args=(load, haproxy.url, worker))
            for worker in range(CLIENTS)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            _wait_for(load, 40, threads)
            before = load.count()
            restart_started = time.monotonic()
            _restart(instances[0], "api1", haproxy)
            _restart(instances[1], "api2", haproxy)
            restarts_took = time.monotonic() - restart_started
            during = load.count() - before
            _wait_for(load, 40, threads)
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(timeout=60)
        took = time.monotonic() - started
        servers = haproxy.servers()
        log = haproxy.log.read_text()

    with psycopg.connect(database) as connection:
        stored: dict[int, str] = dict(
            connection.execute(
                "SELECT id, title FROM posts WHERE id = ANY(%s)", [list(load.acknowledged)]
            ).fetchall()
        )
    retried = sum(int(servers[name]["wretr"] or 0) for name in servers)
    redispatched = sum(int(servers[name]["wredis"] or 0) for name in servers)
    print(
        f"rolling restart: {load.sent} requests in {took:.1f} s, {during} of them during the "
        f"{restarts_took:.1f} s of the two restarts; {len(load.failures)} failed; "
        f"{len(load.acknowledged)} writes acknowledged, {len(stored)} found; "
        f"HAProxy retried {retried}, redispatched {redispatched}; "
        f"one token accepted by {dict(load.tokens_accepted_by)}; "
        f"{load.cursors_crossed} cursors followed on another instance"
    )
    assert load.failures == [], log[-3000:]
    assert during > 0, "the restarts happened under load"
    assert stored == load.acknowledged
    assert {"api1", "api2"} <= load.tokens_accepted_by.keys()
    assert load.cursors_crossed > 0
