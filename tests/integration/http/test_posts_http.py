"""The posts API over HTTP, on both adapters."""

from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, publish, sign_up
from tests.support.problems import assert_problem


@pytest.fixture
async def author(client: httpx.AsyncClient) -> Account:
    return await sign_up(client, username="writer")


@pytest.mark.parametrize("path", ["/posts/", "/posts"])
async def test_publishing_answers_201_with_the_post_its_author_and_location(
    client: httpx.AsyncClient, author: Account, path: str
) -> None:
    response = await client.post(
        path, json={"title": "Hello", "content": "First post."}, headers=author.headers
    )

    assert response.status_code == 201
    post = response.json()
    assert set(post) == {
        "id",
        "title",
        "content",
        "author_id",
        "created_at",
        "updated_at",
        "author",
    }
    assert (post["title"], post["content"], post["author_id"]) == (
        "Hello",
        "First post.",
        author.id,
    )
    assert post["author"] == {"id": author.id, "username": "writer"}
    assert post["created_at"] == post["updated_at"]
    assert response.headers["location"] == f"/posts/{post['id']}"
    assert (await client.get(response.headers["location"])).json() == post


async def test_publishing_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/posts/", json={"title": "t", "content": "c"})

    assert response.status_code == 401
    assert (await client.get("/posts/")).json() == []


@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "idempotency-key"])
async def test_a_deleted_accounts_token_is_401_and_stores_nothing(
    client: httpx.AsyncClient, keyed: bool
) -> None:
    """The 401 any route gives that token, though this one reads no account before its INSERT."""
    account = await sign_up(client)
    headers = account.headers | ({"Idempotency-Key": "k-1"} if keyed else {})
    assert (await client.delete(f"/users/{account.id}", headers=account.headers)).status_code == 204

    response = await client.post("/posts/", json={"title": "t", "content": "c"}, headers=headers)
    elsewhere = await client.get("/users/me", headers=account.headers)

    body = assert_problem(response, 401, "Could not validate credentials")
    assert response.headers["www-authenticate"] == "Bearer"
    assert body | {"instance": None} == elsewhere.json() | {"instance": None}
    assert response.headers["www-authenticate"] == elsewhere.headers["www-authenticate"]
    assert (await client.get("/posts/")).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"title": "t", "content": "c", "author_id": 1},
        {"title": "t", "content": "c", "id": 1},
        {"title": "", "content": "c"},
        {"title": "   ", "content": "c"},
        {"title": "x" * 201, "content": "c"},
        {"title": "t", "content": ""},
        {"title": "t", "content": "x" * 100_001},
        {"title": "nul\x00byte", "content": "c"},
        {"title": "t", "content": "nul\x00byte"},
        {"title": "t"},
        {"title": 5, "content": "c"},
    ],
    ids=[
        "author_id",
        "id",
        "empty-title",
        "blank-title",
        "long-title",
        "empty-content",
        "long-content",
        "nul-title",
        "nul-content",
        "no-content",
        "number-title",
    ],
)
async def test_invalid_posts_are_422(
    client: httpx.AsyncClient, author: Account, body: dict[str, Any]
) -> None:
    response = await client.post("/posts/", json=body, headers=author.headers)

    assert response.status_code == 422
    assert (await client.get("/posts/")).json() == []


async def test_a_lone_surrogate_is_422_not_500(client: httpx.AsyncClient, author: Account) -> None:
    raw = b'{"title": "bad \\ud800 text", "content": "c"}'
    response = await client.post(
        "/posts/", content=raw, headers=author.headers | {"Content-Type": "application/json"}
    )

    assert response.status_code == 422


async def test_the_limits_themselves_are_accepted(
    client: httpx.AsyncClient, author: Account
) -> None:
    post = await publish(client, author, title="x" * 200, content="y" * 100_000)

    assert len(post["title"]) == 200
    assert len(post["content"]) == 100_000


async def test_an_unknown_post_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/posts/424242")

    assert_problem(response, 404, "Post not found")


async def test_posts_list_newest_first_with_their_authors(client: httpx.AsyncClient) -> None:
    ada, bob = await sign_up(client, username="ada"), await sign_up(client, username="bob")
    first = await publish(client, ada, title="one")
    second = await publish(client, bob, title="two")
    third = await publish(client, ada, title="three")

    listed = (await client.get("/posts/")).json()

    assert [p["id"] for p in listed] == [third["id"], second["id"], first["id"]]
    assert [p["author"]["username"] for p in listed] == ["ada", "bob", "ada"]
    page = (await client.get("/posts/?skip=1&limit=1")).json()
    assert [p["id"] for p in page] == [second["id"]]
    only_ada = (await client.get(f"/posts/?author_id={ada.id}")).json()
    assert [p["id"] for p in only_ada] == [third["id"], first["id"]]
    assert (await client.get("/posts/?author_id=999999")).json() == []


async def test_a_users_posts(client: httpx.AsyncClient) -> None:
    ada, bob = await sign_up(client), await sign_up(client)
    first = await publish(client, ada)
    await publish(client, bob)
    second = await publish(client, ada)

    response = await client.get(f"/users/{ada.id}/posts")

    assert [p["id"] for p in response.json()] == [second["id"], first["id"]]
    assert (await client.get(f"/users/{bob.id}/posts?limit=1")).status_code == 200
    assert (await client.get(f"/users/{ada.id}/posts?skip=2")).json() == []


async def test_the_posts_of_an_unknown_user_are_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/users/999999/posts")

    assert_problem(response, 404, "User not found")


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "skip=-1", "author_id=0", f"author_id={2**63}", "limit=x"]
)
async def test_list_parameters_out_of_range_are_422(client: httpx.AsyncClient, query: str) -> None:
    assert (await client.get(f"/posts/?{query}")).status_code == 422


async def test_the_author_edits_a_post(client: httpx.AsyncClient, author: Account) -> None:
    post = await publish(client, author, title="Draft", content="Old text.")

    response = await client.patch(
        f"/posts/{post['id']}", json={"title": "Final"}, headers=author.headers
    )

    assert response.status_code == 200
    edited = response.json()
    assert (edited["title"], edited["content"]) == ("Final", "Old text.")
    assert edited["created_at"] == post["created_at"]
    assert datetime.fromisoformat(edited["updated_at"]) > datetime.fromisoformat(post["updated_at"])
    assert (await client.get(f"/posts/{post['id']}")).json() == edited


async def test_only_the_author_may_edit_or_delete(
    client: httpx.AsyncClient, author: Account
) -> None:
    post = await publish(client, author)
    other = await sign_up(client)

    patch = await client.patch(
        f"/posts/{post['id']}", json={"title": "Mine"}, headers=other.headers
    )
    delete = await client.delete(f"/posts/{post['id']}", headers=other.headers)

    assert (patch.status_code, delete.status_code) == (403, 403)
    assert_problem(patch, 403, "Not the author of this post")
    assert (await client.get(f"/posts/{post['id']}")).json() == post


async def test_a_missing_post_is_404_before_ownership(client: httpx.AsyncClient) -> None:
    someone = await sign_up(client)

    patch = await client.patch("/posts/999999", json={"title": "x"}, headers=someone.headers)
    delete = await client.delete("/posts/999999", headers=someone.headers)

    assert (patch.status_code, delete.status_code) == (404, 404)


async def test_edits_and_deletes_need_a_token(client: httpx.AsyncClient, author: Account) -> None:
    post = await publish(client, author)

    assert (await client.patch(f"/posts/{post['id']}", json={})).status_code == 401
    assert (await client.delete(f"/posts/{post['id']}")).status_code == 401


@pytest.mark.parametrize(
    "body", [{"title": ""}, {"title": None}, {"content": "x" * 100_001}, {"author_id": 5}]
)
async def test_invalid_edits_are_422(
    client: httpx.AsyncClient, author: Account, body: dict[str, Any]
) -> None:
    post = await publish(client, author)

    response = await client.patch(f"/posts/{post['id']}", json=body, headers=author.headers)

    assert response.status_code == 422
    assert (await client.get(f"/posts/{post['id']}")).json() == post


async def test_the_author_deletes_a_post(client: httpx.AsyncClient, author: Account) -> None:
    post = await publish(client, author)

    response = await client.delete(f"/posts/{post['id']}", headers=author.headers)

    assert response.status_code == 204
    assert (await client.get(f"/posts/{post['id']}")).status_code == 404
    assert (await client.delete(f"/posts/{post['id']}", headers=author.headers)).status_code == 404


async def test_a_new_username_shows_on_old_posts(
    client: httpx.AsyncClient, author: Account
) -> None:
    post = await publish(client, author)
    await client.patch(f"/users/{author.id}", json={"username": "renamed"}, headers=author.headers)

    fetched = (await client.get(f"/posts/{post['id']}")).json()

    assert fetched["author"] == {"id": author.id, "username": "renamed"}
