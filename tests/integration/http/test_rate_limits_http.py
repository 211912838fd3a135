"""Abuse limits over HTTP, on both stores: PostgreSQL's table and process memory.

Each test builds the app with low limits of its own and calls it from the
client addresses it needs; the other HTTP tests run with generous ones.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from fastapi import FastAPI

from infrastructure.container import Container
from infrastructure.persistence.database import Databases
from interfaces.http.app import create_app
from tests.conftest import make_settings
from tests.support.accounts import PASSWORD, login, refresh
from tests.support.problems import assert_problem

ALICE = ("203.0.113.7", 40000)
BOB = ("198.51.100.20", 40000)
PROXY = ("10.0.0.2", 40000)

Peer = tuple[str, int]
CallerFactory = Callable[[Peer], httpx.AsyncClient]
AppFactory = Callable[..., CallerFactory]


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "memory"])
def store(request: pytest.FixtureRequest) -> tuple[dict[str, Any], Databases | None]:
    """The settings and pools of each store in turn: PostgreSQL's table, then memory."""
    if request.param == "memory":
        return {}, None
    database_url: str = request.getfixturevalue("database_url")
    databases: Databases = request.getfixturevalue("pg_databases")
    return {"repository": "postgres", "database_url": database_url}, databases


@pytest.fixture
async def limited_app(
    store: tuple[dict[str, Any], Databases | None],
) -> AsyncIterator[AppFactory]:
    """Build the app with these settings; then get a client calling it from a given peer."""
    base, databases = store
    async with AsyncExitStack() as stack:

        def build(**overrides: Any) -> CallerFactory:
            container = Container(settings=providers.Object(make_settings(**base, **overrides)))
            if databases is not None:
                container.databases.override(providers.Object(databases))
            app = create_app(container)
            return lambda peer: _caller(stack, app, peer)

        yield build


def _caller(stack: AsyncExitStack, app: FastAPI, peer: Peer) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=peer)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    stack.push_async_callback(client.aclose)
    return client


async def _register(client: httpx.AsyncClient, name: str, **headers: str) -> httpx.Response:
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    return await client.post("/users/", json=body, headers=headers)


def _assert_limited(response: httpx.Response, detail_start: str, window: int) -> None:
    body = assert_problem(response, 429)
    assert body["type"] == "/problems/rate-limit-exceeded"
    assert body["detail"].startswith(detail_start)
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window
    unit = "second" if retry_after == 1 else "seconds"
    assert body["detail"].endswith(f"; try again in {retry_after} {unit}")


async def test_the_sixth_failed_login_in_a_minute_is_429_even_with_the_right_password(
    limited_app: AppFactory,
) -> None:
    caller = limited_app(rate_limit_login_failures="5/minute")
    alice = caller(ALICE)
    assert (await _register(alice, "ada")).status_code == 201

    for _ in range(5):
        assert (await login(alice, "ada", "wrong-password")).status_code == 401
    sixth = await login(alice, "ada", "wrong-password")
    right_password = await login(alice, "ada")

    _assert_limited(sixth, "Too many failed logins to this account from this address", 60)
    _assert_limited(right_password, "Too many failed logins", 60)
    assert "access_token" not in right_password.text


async def test_a_lockout_touches_neither_other_accounts_nor_other_addresses(
    limited_app: AppFactory,
) -> None:
    caller = limited_app(rate_limit_login_failures="2/minute")
    alice, bob = caller(ALICE), caller(BOB)
    for name in ("ada", "grace"):
        assert (await _register(alice, name)).status_code == 201
    for _ in range(3):
        await login(alice, "ada", "wrong-password")
    assert (await login(alice, "ada")).status_code == 429

    assert (await login(bob, "ada")).status_code == 200
    assert (await login(alice, "grace")).status_code == 200


async def test_one_account_by_any_spelling_shares_one_count(limited_app: AppFactory) -> None:
    caller = limited_app(rate_limit_login_failures="3/minute")
    alice = caller(ALICE)
    assert (await _register(alice, "ada")).status_code == 201

    for spelling in ("ada", "ADA", " Ada "):
        assert (await login(alice, spelling, "wrong-password")).status_code == 401

    assert (await login(alice, "aDa", "wrong-password")).status_code == 429


async def test_a_successful_login_forgets_the_failures_before_it(limited_app: AppFactory) -> None:
    caller = limited_app(rate_limit_login_failures="3/minute")
    alice = caller(ALICE)
    assert (await _register(alice, "ada")).status_code == 201
    for _ in range(2):
        assert (await login(alice, "ada", "wrong-password")).status_code == 401

    assert (await login(alice, "ada")).status_code == 200

    statuses = [(await login(alice, "ada", "wrong-password")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


async def test_parallel_guesses_cannot_slip_past_the_limit(limited_app: AppFactory) -> None:
    caller = limited_app(rate_limit_login_failures="5/minute")
    alice = caller(ALICE)
    assert (await _register(alice, "ada")).status_code == 201

    responses = await asyncio.gather(*(login(alice, "ada", f"guess-{n:04}") for n in range(12)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 5 + [429] * 7


async def test_attempts_per_address_are_limited_whatever_the_accounts(
    limited_app: AppFactory,
) -> None:
    caller = limited_app(rate_limit_login_attempts="3/minute")
    alice, bob = caller(ALICE), caller(BOB)
    assert (await _register(alice, "ada")).status_code == 201

    statuses = [(await login(alice, name)).status_code for name in ("ada", "ada", "nobody")]
    fourth = await login(alice, "ada")

    assert statuses == [200, 200, 401]
    _assert_limited(fourth, "Too many login attempts from this address", 60)
    assert (await login(bob, "ada")).status_code == 200


async def test_registrations_per_address_are_limited(limited_app: AppFactory) -> None:
    caller = limited_app(rate_limit_registrations="2/hour")
    alice, bob = caller(ALICE), caller(BOB)
    assert (await _register(alice, "first")).status_code == 201
    assert (await _register(alice, "second")).status_code == 201

    third = await _register(alice, "third")

    _assert_limited(third, "Too many registrations from this address", 3600)
    assert (await _register(bob, "third")).status_code == 201
    # Nothing was created for the refused one.
    assert (await alice.get("/users/")).json()[-1]["username"] == "third"
    assert len((await alice.get("/users/")).json()) == 3


async def test_refreshes_per_address_are_limited_and_a_refused_one_spends_nothing(
    limited_app: AppFactory,
) -> None:
    caller = limited_app(rate_limit_refreshes="2/minute")
    alice, bob = caller(ALICE), caller(BOB)
    assert (await _register(alice, "ada")).status_code == 201
    token = (await login(alice, "ada")).json()["refresh_token"]
    for _ in range(2):
        answer = await refresh(alice, token)
        assert answer.status_code == 200, answer.text
        token = answer.json()["refresh_token"]

    third = await refresh(alice, token)

    _assert_limited(third, "Too many token refreshes from this address", 60)
    assert (await refresh(bob, token)).status_code == 200, "the refused one was not spent"


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
    limited_app: AppFactory,
) -> None:
    # A proxy is trusted, but Alice is not it: her header counts for nothing.
    caller = limited_app(rate_limit_registrations="2/hour", trusted_proxies="10.0.0.0/8")
    alice = caller(ALICE)

    statuses = [
        (await _register(alice, f"user{n}", **{"X-Forwarded-For": spoofed})).status_code
        for n, spoofed in enumerate(["192.0.2.1", "192.0.2.2", "192.0.2.3, 10.0.0.2"])
    ]

    assert statuses == [201, 201, 429]


async def test_a_trusted_proxy_speaks_for_the_client_it_saw(limited_app: AppFactory) -> None:
    caller = limited_app(rate_limit_registrations="2/hour", trusted_proxies="10.0.0.0/8")
    proxy = caller(PROXY)

    def seen(client: str, forged: str = "") -> dict[str, str]:
        # Whatever the client sent comes first; the proxy appends the address it saw.
        return {"X-Forwarded-For": f"{forged}, {client}" if forged else client}

    first = [
        (await _register(proxy, f"carol{n}", **seen("192.0.2.10", forged=f"1.1.1.{n}")))
        for n in range(3)
    ]
    other_client = await _register(proxy, "dave", **seen("192.0.2.11"))

    assert [response.status_code for response in first] == [201, 201, 429]
    assert other_client.status_code == 201


async def test_an_unreachable_store_is_503_not_unlimited() -> None:
    settings = make_settings(rate_limit_storage="redis://127.0.0.1:9")
    async with AsyncExitStack() as stack:
        alice = _caller(stack, create_app(Container(settings=providers.Object(settings))), ALICE)

        registered = await _register(alice, "ada")
        logged_in = await login(alice, "ada")

    for response in (registered, logged_in):
        body = assert_problem(
            response, 503, "The rate-limit store is unavailable; try again shortly"
        )
        assert body["type"] == "/problems/rate-limit-storage-unavailable"
        assert response.headers["retry-after"] == "5"
