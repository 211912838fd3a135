"""Changing and deleting one's own account over HTTP, on both adapters."""

from datetime import datetime
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import libpq_url
from tests.support.accounts import PASSWORD, login, publish, sign_up
from tests.support.problems import assert_problem


async def test_a_user_changes_their_email_username_and_password(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    before = (await client.get("/users/me", headers=account.headers)).json()

    response = await client.patch(
        f"/users/{account.id}",
        json={
            "email": "New@Example.com",
            "username": "renamed",
            "password": "new-pass-word",
            "current_password": PASSWORD,
        },
        headers=account.headers,
    )

    assert response.status_code == 200
    body = response.json()
    # The new email waits for its link (tests/integration/mail); the rest is done.
    assert (body["email"], body["pending_email"]) == (account.email, "new@example.com")
    assert body["username"] == "renamed"
    assert body["created_at"] == before["created_at"]
    assert datetime.fromisoformat(body["updated_at"]) > datetime.fromisoformat(before["updated_at"])
    assert (await login(client, "renamed", "new-pass-word")).status_code == 200
    assert (await login(client, "renamed")).status_code == 401, "the old password is gone"


async def test_fields_left_out_stay_as_they_are(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)

    response = await client.patch(
        f"/users/{account.id}", json={"username": "only-this"}, headers=account.headers
    )

    assert response.json()["email"] == account.email
    assert (await login(client, "only-this")).status_code == 200


async def test_an_empty_patch_changes_nothing(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    before = (await client.get("/users/me", headers=account.headers)).json()

    response = await client.patch(f"/users/{account.id}", json={}, headers=account.headers)

    assert response.status_code == 200
    assert response.json() == before


async def test_changing_someone_else_is_403(client: httpx.AsyncClient) -> None:
    owner, other = await sign_up(client), await sign_up(client)

    patch = await client.patch(
        f"/users/{owner.id}", json={"username": "x-y-z"}, headers=other.headers
    )
    delete = await client.delete(f"/users/{owner.id}", headers=other.headers)

    assert (patch.status_code, delete.status_code) == (403, 403)
    assert_problem(patch, 403, "Only the account's owner may change it")
    assert (await client.get(f"/users/{owner.id}")).json()["username"] == owner.username


async def test_changes_without_a_token_are_401(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)

    assert (await client.patch(f"/users/{account.id}", json={})).status_code == 401
    assert (await client.delete(f"/users/{account.id}")).status_code == 401


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"email": "TAKEN@example.com"}, "Email already registered"),
        ({"username": "TAKEN"}, "Username already taken"),
    ],
)
async def test_taking_another_users_email_or_username_is_409(
    client: httpx.AsyncClient, change: dict[str, str], detail: str
) -> None:
    await sign_up(client, email="taken@example.com", username="taken")
    account = await sign_up(client)

    body = change | {"current_password": PASSWORD}
    response = await client.patch(f"/users/{account.id}", json=body, headers=account.headers)

    assert_problem(response, 409, detail)
    assert (await client.get("/users/me", headers=account.headers)).json()["email"] == account.email


async def test_keeping_ones_own_email_in_another_case_is_fine(client: httpx.AsyncClient) -> None:
    account = await sign_up(client, username="Casey")

    response = await client.patch(
        f"/users/{account.id}",
        json={"email": account.email.upper(), "username": "CASEY", "current_password": PASSWORD},
        headers=account.headers,
    )

    assert response.status_code == 200
    assert response.json()["username"] == "CASEY"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email"},
        {"username": "a"},
        {"password": "short"},
        {"email": None},
        {"username": None},
        {"id": 99},
        {"created_at": "2020-01-01T00:00:00Z"},
    ],
)
async def test_invalid_changes_are_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    account = await sign_up(client)

    response = await client.patch(f"/users/{account.id}", json=body, headers=account.headers)

    assert response.status_code == 422
    assert (await client.get(f"/users/{account.id}")).json()["username"] == account.username


async def test_deleting_ones_account_is_204_and_takes_the_posts(client: httpx.AsyncClient) -> None:
    account, other = await sign_up(client), await sign_up(client)
    await publish(client, account)
    kept = await publish(client, other)

    response = await client.delete(f"/users/{account.id}", headers=account.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"/users/{account.id}")).status_code == 404
    assert (await client.get(f"/users/{account.id}/posts")).status_code == 404
    assert [post["id"] for post in (await client.get("/posts/")).json()] == [kept["id"]]


@pytest.mark.postgres
async def test_the_database_cascades_posts_with_their_author(
    pg_client: httpx.AsyncClient, database_url: str
) -> None:
    account = await sign_up(pg_client)
    await publish(pg_client, account)
    await publish(pg_client, account)

    await pg_client.delete(f"/users/{account.id}", headers=account.headers)

    with psycopg.connect(libpq_url(database_url)) as connection:
        orphans = connection.execute(
            "SELECT count(*) FROM posts WHERE author_id = %s", (account.id,)
        ).fetchone()
    assert orphans == (0,)


async def test_users_me_changes_and_deletes_the_callers_own_account(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)

    patched = await client.patch("/users/me", json={"username": "myself"}, headers=account.headers)
    deleted = await client.delete("/users/me", headers=account.headers)

    assert (patched.status_code, patched.json()["username"]) == (200, "myself")
    assert deleted.status_code == 204
    assert (await client.get(f"/users/{account.id}")).status_code == 404
