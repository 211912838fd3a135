"""One address, many spellings: registering, logging in and the failed-login count agree.

An email can be typed in several equivalent forms: another case, Unicode in
NFD instead of NFC, an internationalised domain in its punycode (`xn--`)
form. Every path normalises it with the same function, so the account that
registered logs in however its owner types it, and a guesser cannot get a
fresh count of failed logins by changing the spelling.
"""

import unicodedata
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.container import Container
from interfaces.http.app import create_app
from tests.conftest import make_settings
from tests.integration.accounts import PASSWORD, login
from tests.integration.problems import assert_problem

NFC = unicodedata.normalize("NFC", "zoë@bücher.example")
NFD = unicodedata.normalize("NFD", NFC)
SPELLINGS = [
    NFC,
    NFD,
    NFD.upper(),
    "zoë@xn--bcher-kva.example",
    "ZOË@XN--BCHER-KVA.EXAMPLE",
    f"  {NFC.title()}  ",
]
"""The same address each time, as a person or their keyboard may type it."""

Build = Callable[..., httpx.AsyncClient]


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "memory"])
def adapter(request: pytest.FixtureRequest) -> tuple[dict[str, Any], AsyncEngine | None]:
    """The settings and engine of each adapter in turn: PostgreSQL, then memory."""
    if request.param == "memory":
        return {}, None
    database_url: str = request.getfixturevalue("database_url")
    engine: AsyncEngine = request.getfixturevalue("pg_engine")
    return {"repository": "sqlalchemy", "database_url": database_url}, engine


@pytest.fixture
async def build_app(
    adapter: tuple[dict[str, Any], AsyncEngine | None],
) -> AsyncIterator[Build]:
    """Build the app with these settings on that adapter, and get a client of it."""
    base, engine = adapter
    async with AsyncExitStack() as stack:

        def build(**overrides: Any) -> httpx.AsyncClient:
            container = Container(settings=providers.Object(make_settings(**base, **overrides)))
            if engine is not None:
                container.engine.override(providers.Object(engine))
            transport = httpx.ASGITransport(app=create_app(container))
            client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            stack.push_async_callback(client.aclose)
            return client

        yield build


async def _register(client: httpx.AsyncClient, email: str) -> None:
    body = {"email": email, "username": "zoe", "password": PASSWORD}
    response = await client.post("/users/", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["email"] == NFC


@pytest.mark.parametrize("registered", [NFC, NFD.upper()], ids=["nfc", "nfd-upper"])
async def test_an_address_registered_in_one_spelling_logs_in_in_every_other(
    build_app: Build, registered: str
) -> None:
    client = build_app()
    await _register(client, registered)

    answers = {spelling: (await login(client, spelling)).status_code for spelling in SPELLINGS}

    assert answers == dict.fromkeys(SPELLINGS, 200)


async def test_respelling_an_email_gets_no_fresh_count_of_failed_logins(
    build_app: Build,
) -> None:
    client = build_app(rate_limit_login_failures="3/minute")
    await _register(client, NFC)

    wrong = [
        (await login(client, spelling, "wrong-pass-word")).status_code for spelling in SPELLINGS[:3]
    ]
    locked = await login(client, SPELLINGS[3])

    assert wrong == [401, 401, 401]
    assert_problem(locked, 429)


async def test_changing_ones_email_to_another_spelling_of_it_changes_nothing(
    build_app: Build,
) -> None:
    client = build_app()
    await _register(client, NFC)
    token = (await login(client, NFC)).json()["access_token"]

    changed = await client.patch(
        "/users/me",
        json={"email": NFD.upper(), "current_password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == NFC
