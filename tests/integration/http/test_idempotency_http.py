"""Idempotency-Key on POST /users/ and POST /posts/, through the real app, on both adapters."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from application.unit_of_work import UnitOfWork
from infrastructure.container import Container
from infrastructure.memory import InMemoryStore, InMemoryUnitOfWork
from infrastructure.persistence.database import Databases
from infrastructure.persistence.unit_of_work import PostgresUnitOfWork
from interfaces.http.app import create_app
from tests.conftest import column, execute, make_settings
from tests.support.accounts import PASSWORD, Account, sign_up
from tests.support.problems import assert_problem

REPLAYED = "idempotent-replayed"
HELLO = {"title": "Hello", "content": "World"}


@dataclass
class Api:
    """A client of the app, and a way into the storage behind it."""

    client: httpx.AsyncClient
    uow: Callable[[], UnitOfWork]
    key_count: Callable[[], Any]
    expire_keys: Callable[[], Any]

    async def post_count(self) -> int:
        async with self.uow().read() as repos:
            return len(await repos.posts.list_authored(limit=100))


def _memory_api(client: httpx.AsyncClient, store: InMemoryStore) -> Api:
    async def key_count() -> int:
        return len(store.idempotency_keys)

    async def expire_keys() -> None:
        for at, record in list(store.idempotency_keys.items()):
            store.idempotency_keys[at] = replace(
                record, expires_at=record.created_at - timedelta(seconds=1)
            )

    return Api(client, lambda: InMemoryUnitOfWork(store), key_count, expire_keys)


def _postgres_api(client: httpx.AsyncClient, databases: Databases) -> Api:
    pool = databases.primary.pool

    async def key_count() -> int:
        (count,) = await column(pool, "SELECT count(*) FROM idempotency_keys")
        return int(count)

    async def expire_keys() -> None:
        await execute(pool, "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")

    return Api(client, lambda: PostgresUnitOfWork(databases), key_count, expire_keys)


@pytest.fixture
async def memory_api() -> AsyncIterator[Api]:
    store = InMemoryStore()
    container = Container(settings=providers.Object(make_settings()))
    container.uow.override(providers.Factory(InMemoryUnitOfWork, store))
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield _memory_api(client, store)


@pytest.fixture
def postgres_api(pg_client: httpx.AsyncClient, pg_databases: Databases) -> Api:
    return _postgres_api(pg_client, pg_databases)


@pytest.fixture(params=[pytest.param("postgres_api", marks=pytest.mark.postgres), "memory_api"])
def api(request: pytest.FixtureRequest) -> Api:
    chosen: Api = request.getfixturevalue(request.param)
    return chosen


def _keyed(account: Account | None, key: str) -> dict[str, str]:
    return (account.headers if account else {}) | {"Idempotency-Key": key}


async def test_a_repeated_post_gets_the_original_answer_and_creates_nothing(api: Api) -> None:
    ada = await sign_up(api.client)

    first = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "post-1"))
    again = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "post-1"))

    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    assert first.json()["author"] == {"id": ada.id, "username": ada.username}
    assert first.headers["location"] == f"/posts/{first.json()['id']}"
    assert again.status_code == 201
    assert again.headers[REPLAYED] == "true"
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["content-type"] == "application/json"
    assert await api.post_count() == 1
    assert await api.key_count() == 1


async def test_the_same_request_in_another_layout_or_path_form_is_a_repeat(api: Api) -> None:
    ada = await sign_up(api.client)
    first = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "layout"))

    reordered = json.dumps({"content": "World", "title": "Hello"}, indent=2)
    again = await api.client.post(
        "/posts",
        content=reordered,
        headers=_keyed(ada, "layout") | {"Content-Type": "application/json"},
    )

    assert again.status_code == 201
    assert again.headers[REPLAYED] == "true"
    assert again.content == first.content


async def test_a_retry_after_the_post_was_deleted_creates_it_anew(api: Api) -> None:
    """The key's record went with the post (it held a copy of it): nothing is left to replay."""
    ada = await sign_up(api.client)
    first = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "k"))
    deleted = await api.client.delete(first.headers["location"], headers=ada.headers)
    assert deleted.status_code == 204

    again = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "k"))

    assert again.status_code == 201, again.text
    assert REPLAYED not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert await api.post_count() == 1


async def test_a_repeated_registration_gets_the_original_answer(api: Api) -> None:
    body = {"email": "Ada@Example.com", "username": "ada", "password": PASSWORD}

    first = await api.client.post("/users/", json=body, headers=_keyed(None, "signup"))
    again = await api.client.post("/users/", json=body, headers=_keyed(None, "signup"))

    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/users/{first.json()['id']}"
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers[REPLAYED] == "true"
    assert again.headers["location"] == first.headers["location"]
    users = (await api.client.get("/users/")).json()
    assert [user["username"] for user in users] == ["ada"]


async def test_the_same_key_with_another_body_is_a_422(api: Api) -> None:
    ada = await sign_up(api.client)
    await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "k"))

    other = await api.client.post(
        "/posts/", json=HELLO | {"content": "Changed"}, headers=_keyed(ada, "k")
    )

    body = assert_problem(
        other, 422, "This idempotency key was already used for a different request"
    )
    assert body["type"] == "/problems/idempotency-key-reused"
    assert await api.post_count() == 1


async def test_a_registration_with_the_same_key_and_another_password_is_a_422(api: Api) -> None:
    body = {"email": "ada@example.com", "username": "ada", "password": PASSWORD}
    await api.client.post("/users/", json=body, headers=_keyed(None, "signup"))

    other = await api.client.post(
        "/users/", json=body | {"password": "another-pass"}, headers=_keyed(None, "signup")
    )

    assert_problem(other, 422, "This idempotency key was already used for a different request")


async def test_a_repeat_while_the_first_is_in_flight_is_a_409(api: Api) -> None:
    ada = await sign_up(api.client)

    async with api.uow().write() as first:
        # The first request, mid-transaction: its key is claimed until it ends.
        assert await first.idempotency_keys.claim(f"user:{ada.id}", "busy")
        repeat = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "busy"))

    body = assert_problem(repeat, 409)
    assert body["type"] == "/problems/idempotency-key-in-use"
    assert "still in progress" in body["detail"]
    assert await api.post_count() == 0
    retried = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "busy"))
    assert retried.status_code == 201
    assert REPLAYED not in retried.headers


async def test_an_expired_key_is_ignored_and_replaced(api: Api) -> None:
    ada = await sign_up(api.client)
    first = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "old"))
    await api.expire_keys()

    again = await api.client.post(
        "/posts/", json=HELLO | {"title": "Other"}, headers=_keyed(ada, "old")
    )
    replayed = await api.client.post(
        "/posts/", json=HELLO | {"title": "Other"}, headers=_keyed(ada, "old")
    )

    assert again.status_code == 201
    assert REPLAYED not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert (replayed.headers[REPLAYED], replayed.content) == ("true", again.content)
    assert await api.post_count() == 2
    assert await api.key_count() == 1


async def test_different_callers_with_the_same_key_do_not_clash(api: Api) -> None:
    ada, bob = await sign_up(api.client), await sign_up(api.client)

    mine = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "same"))
    theirs = await api.client.post("/posts/", json=HELLO, headers=_keyed(bob, "same"))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert REPLAYED not in theirs.headers
    assert theirs.json()["author"]["id"] == bob.id
    assert await api.post_count() == 2


async def test_registrations_of_other_emails_with_the_same_key_do_not_clash(api: Api) -> None:
    created = [
        await api.client.post(
            "/users/",
            json={"email": f"{name}@example.com", "username": name, "password": PASSWORD},
            headers=_keyed(None, "everyone-uses-this"),
        )
        for name in ("ada", "bob")
    ]

    assert [response.status_code for response in created] == [201, 201]
    assert all(REPLAYED not in response.headers for response in created)


async def test_without_the_header_nothing_is_kept(api: Api) -> None:
    ada = await sign_up(api.client)

    for _ in range(2):
        response = await api.client.post("/posts/", json=HELLO, headers=ada.headers)
        assert response.status_code == 201
        assert REPLAYED not in response.headers

    assert await api.post_count() == 2
    assert await api.key_count() == 0


@pytest.mark.parametrize(
    "key",
    [b"", b"with space", b"x" * 256, "caf\u00e9".encode()],
    ids=["empty", "space", "too-long", "not-ascii"],
)
async def test_a_malformed_key_is_a_422_that_says_why(api: Api, key: bytes) -> None:
    ada = await sign_up(api.client)

    response = await api.client.post(
        "/posts/",
        json=HELLO,
        headers=[(b"Authorization", f"Bearer {ada.token}".encode()), (b"Idempotency-Key", key)],
    )

    body = assert_problem(response, 422)
    assert [error["loc"] for error in body["errors"]] == [["header", "Idempotency-Key"]]
    assert await api.post_count() == 0


async def test_a_keyed_request_without_a_body_is_a_422(api: Api) -> None:
    ada = await sign_up(api.client)

    response = await api.client.post(
        "/posts/", headers=_keyed(ada, "k") | {"Content-Type": "application/json"}
    )

    assert_problem(response, 422)
    assert await api.key_count() == 0


async def test_a_deleted_accounts_repeat_is_a_401_not_the_kept_answer(api: Api) -> None:
    ada = await sign_up(api.client)
    first = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "post-1"))
    assert first.status_code == 201, first.text
    await api.client.delete(f"/users/{ada.id}", headers=ada.headers)

    again = await api.client.post("/posts/", json=HELLO, headers=_keyed(ada, "post-1"))
    changed = await api.client.post(
        "/posts/", json=HELLO | {"title": "Other"}, headers=_keyed(ada, "post-1")
    )

    assert_problem(again, 401, "Could not validate credentials")
    assert_problem(changed, 401, "Could not validate credentials")
    assert await api.post_count() == 0


async def test_a_failed_create_keeps_no_key(api: Api) -> None:
    body = {"email": "ada@example.com", "username": "ada", "password": PASSWORD}
    await api.client.post("/users/", json=body)

    taken = await api.client.post("/users/", json=body, headers=_keyed(None, "k"))

    assert_problem(taken, 409, "Email already registered")
    assert await api.key_count() == 0


PARALLEL = 10


async def _at_once(api: Api, path: str, body: dict[str, str], headers: dict[str, str]) -> None:
    """Send PARALLEL copies of one keyed request at once: exactly one creates.

    Each of the others is a 409 (the first was in flight) or a replay of its answer.
    """
    responses = await asyncio.gather(
        *(api.client.post(path, json=body, headers=headers) for _ in range(PARALLEL))
    )

    created = [r for r in responses if r.status_code == 201 and REPLAYED not in r.headers]
    assert len(created) == 1, [r.status_code for r in responses]
    for response in responses:
        if response.status_code == 201:
            assert response.content == created[0].content
        else:
            assert assert_problem(response, 409)["type"] == "/problems/idempotency-key-in-use"
    assert await api.key_count() == 1


@pytest.mark.postgres
async def test_parallel_posts_with_one_key_create_exactly_one(postgres_api: Api) -> None:
    ada = await sign_up(postgres_api.client)

    await _at_once(postgres_api, "/posts/", HELLO, _keyed(ada, "race"))

    assert await postgres_api.post_count() == 1


@pytest.mark.postgres
async def test_parallel_registrations_with_one_key_create_exactly_one(
    postgres_api: Api,
) -> None:
    body = {"email": "race@example.com", "username": "race", "password": PASSWORD}

    await _at_once(postgres_api, "/users/", body, _keyed(None, "race"))

    users = (await postgres_api.client.get("/users/")).json()
    assert [user["username"] for user in users] == ["race"]
