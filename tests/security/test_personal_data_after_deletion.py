"""Deleting an account or a post leaves no copy of it in the idempotency records.

A create made with an Idempotency-Key stores its 201 to replay it: a
registration's holds the email (in the answer, and in its scope
`registration:<email>`), a post's holds the post. Before, those records
outlived the deletion for the key's whole lifetime, and a replay of the key
handed the deleted data back.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from dependency_injector import providers
from psycopg.rows import dict_row

from infrastructure.container import Container
from infrastructure.memory import InMemoryStore, InMemoryUnitOfWork
from infrastructure.persistence.database import Databases
from interfaces.http.app import create_app
from tests.conftest import make_settings
from tests.support.accounts import PASSWORD, login

REPLAYED = "idempotent-replayed"


@dataclass
class Storage:
    """The app's client, and every stored record as text, read from where the adapter keeps it."""

    client: httpx.AsyncClient
    records: Callable[[], Awaitable[list[str]]]


@pytest.fixture
async def memory_storage() -> AsyncIterator[Storage]:
    store = InMemoryStore()
    container = Container(settings=providers.Object(make_settings()))
    container.uow.override(providers.Factory(InMemoryUnitOfWork, store))
    transport = httpx.ASGITransport(app=create_app(container))

    async def records() -> list[str]:
        return [repr(record) for record in store.idempotency_keys.values()]

    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Storage(client, records)


@pytest.fixture
def pg_storage(pg_client: httpx.AsyncClient, pg_databases: Databases) -> Storage:
    async def records() -> list[str]:
        async with (
            pg_databases.primary.pool.connection() as connection,
            connection.cursor(row_factory=dict_row) as cursor,
        ):
            await cursor.execute("SELECT * FROM idempotency_keys")
            rows = await cursor.fetchall()
        return [repr({**row, "body": bytes(row["body"]).decode("latin-1")}) for row in rows]

    return Storage(pg_client, records)


@pytest.fixture(params=[pytest.param("pg_storage", marks=pytest.mark.postgres), "memory_storage"])
def storage(request: pytest.FixtureRequest) -> Storage:
    chosen: Storage = request.getfixturevalue(request.param)
    return chosen


async def _register(client: httpx.AsyncClient, name: str, key: str) -> httpx.Response:
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    response = await client.post("/users/", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response


async def _token(client: httpx.AsyncClient, name: str) -> dict[str, str]:
    answer = await login(client, name)
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_a_deleted_accounts_email_is_not_kept_in_its_registrations_idempotency_record(
    storage: Storage,
) -> None:
    client = storage.client
    first = await _register(client, "gone", "signup-key")
    await _register(client, "stays", "signup-key")
    auth = await _token(client, "gone")
    published = await client.post(
        "/posts/",
        json={"title": "Mine", "content": "A secret of mine"},
        headers=auth | {"Idempotency-Key": "post-key"},
    )
    assert published.status_code == 201, published.text
    assert any("gone@example.com" in record for record in await storage.records())

    assert (await client.delete("/users/me", headers=auth)).status_code == 204

    kept = await storage.records()
    assert not [record for record in kept if "gone@example.com" in record]
    assert not [record for record in kept if "A secret of mine" in record]
    assert [record for record in kept if "stays@example.com" in record], "others' records stay"
    again = await _register(client, "gone", "signup-key")
    assert REPLAYED not in again.headers
    assert again.json()["id"] != first.json()["id"]


async def test_a_deleted_posts_body_is_not_kept_in_its_creates_idempotency_record(
    storage: Storage,
) -> None:
    client = storage.client
    await _register(client, "author", "signup-key")
    auth = await _token(client, "author")
    body = {"title": "Regret", "content": "Something I should not have posted"}
    first = await client.post("/posts/", json=body, headers=auth | {"Idempotency-Key": "k"})
    assert any("should not have posted" in record for record in await storage.records())

    assert (await client.delete(first.headers["location"], headers=auth)).status_code == 204

    kept = await storage.records()
    assert not [record for record in kept if "should not have posted" in record]
    assert [record for record in kept if "author@example.com" in record], "the account's stays"
    again = await client.post("/posts/", json=body, headers=auth | {"Idempotency-Key": "k"})
    assert again.status_code == 201, again.text
    assert REPLAYED not in again.headers
    assert again.json()["id"] != first.json()["id"]
