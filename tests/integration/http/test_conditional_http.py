"""ETags, If-None-Match and If-Match over HTTP, on both adapters; the races on PostgreSQL."""

import asyncio
import re
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, publish, sign_up
from tests.support.problems import assert_problem

VERSION_MISMATCH = "The resource has changed since you read it"


@pytest.fixture
async def ada(client: httpx.AsyncClient) -> Account:
    return await sign_up(client, username="ada")


async def _etag(client: httpx.AsyncClient, path: str, account: Account | None = None) -> str:
    response = await client.get(path, headers=account.headers if account else None)
    assert response.status_code == 200, response.text
    etag: str = response.headers["etag"]
    return etag


def _with(account: Account, **headers: str) -> dict[str, str]:
    return account.headers | {name.replace("_", "-"): value for name, value in headers.items()}


async def test_every_answer_with_one_resource_carries_its_strong_etag(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        "/users/", json={"email": "t@example.com", "username": "tagged", "password": "pass-word-1"}
    )
    account = await sign_up(client)
    post = await client.post(
        "/posts/", json={"title": "t", "content": "c"}, headers=account.headers
    )

    # The account's own answers carry the private tag (its version); anyone's read, the public.
    assert created.headers["etag"] == '"1"'
    public = await _etag(client, created.headers["location"])
    assert public != created.headers["etag"]
    assert re.fullmatch(r'"[A-Za-z0-9_-]+"', public), "strong: quoted, no W/"
    me = await client.get("/users/me", headers=account.headers)
    assert me.headers["etag"] == '"1"'
    assert post.headers["etag"].startswith('"1.')
    assert post.headers["etag"] == await _etag(client, post.headers["location"])
    edited = await client.patch(
        post.headers["location"], json={"title": "u"}, headers=account.headers
    )
    assert edited.headers["etag"] == post.headers["etag"].replace('"1.', '"2.', 1)
    assert edited.headers["etag"] == await _etag(client, post.headers["location"])


@pytest.mark.parametrize(
    "if_none_match",
    ["{etag}", "W/{etag}", '"other", {etag}', '"a",,  W/"b" , {etag}', "*"],
    ids=["same", "weak", "listed", "list-with-empty-elements", "star"],
)
async def test_an_unchanged_resource_is_a_304_without_a_body(
    client: httpx.AsyncClient, ada: Account, if_none_match: str
) -> None:
    post = await publish(client, ada)
    for path in (f"/posts/{post['id']}", f"/users/{ada.id}", "/users/me"):
        etag = await _etag(client, path, ada)

        response = await client.get(
            path, headers=_with(ada, If_None_Match=if_none_match.format(etag=etag))
        )

        assert response.status_code == 304, path
        assert response.content == b""
        assert response.headers["etag"] == etag


async def test_a_changed_resource_is_sent_again_with_its_new_etag(
    client: httpx.AsyncClient, ada: Account
) -> None:
    post = await publish(client, ada, title="Before")
    path = f"/posts/{post['id']}"
    old = await _etag(client, path)
    await client.patch(path, json={"title": "After"}, headers=ada.headers)

    response = await client.get(path, headers={"If-None-Match": old})

    assert response.status_code == 200
    assert response.json()["title"] == "After"
    assert response.headers["etag"] not in {old, f"W/{old}"}


async def test_a_renamed_author_changes_the_etag_of_their_posts(
    client: httpx.AsyncClient, ada: Account
) -> None:
    """Without it a 304 would keep serving the old name from the client's cache."""
    post = await publish(client, ada)
    path = f"/posts/{post['id']}"
    before = await _etag(client, path)
    await client.patch("/users/me", json={"username": "lovelace"}, headers=ada.headers)

    response = await client.get(path, headers={"If-None-Match": before})

    assert response.status_code == 200
    assert response.json()["author"]["username"] == "lovelace"
    stale = await client.patch(path, json={"title": "x"}, headers=_with(ada, If_Match=before))
    assert_problem(stale, 412, VERSION_MISMATCH)


def _writes(ada: Account, post: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path to read, path to change, a change) for each resource with If-Match.

    An account is read at `/users/me`: `If-Match` names its private ETag, which the
    public view at `/users/{id}` does not show.
    """
    return [
        (f"/posts/{post['id']}", f"/posts/{post['id']}", {"title": "Changed"}),
        ("/users/me", f"/users/{ada.id}", {"username": "changed"}),
        ("/users/me", "/users/me", {"username": "changed"}),
    ]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["post", "user", "me"])
async def test_a_patch_with_a_stale_etag_is_a_412_and_changes_nothing(
    client: httpx.AsyncClient, ada: Account, which: int
) -> None:
    read, write, change = _writes(ada, await publish(client, ada))[which]
    stale = await _etag(client, read, ada)
    await client.patch(write, json=change, headers=ada.headers)  # someone else's change
    before = await client.get(read, headers=ada.headers)

    response = await client.patch(
        write,
        json={"username": "mine"} if "users" in write else {"title": "Mine"},
        headers=_with(ada, If_Match=stale),
    )

    body = assert_problem(response, 412, VERSION_MISMATCH)
    assert body["type"] == "/problems/version-mismatch"
    after = await client.get(read, headers=ada.headers)
    assert (after.json(), after.headers["etag"]) == (before.json(), before.headers["etag"])


@pytest.mark.parametrize("which", [0, 1, 2], ids=["post", "user", "me"])
@pytest.mark.parametrize(
    "if_match", ["{etag}", '"stale", {etag}', "*"], ids=["same", "listed", "star"]
)
async def test_a_patch_with_a_matching_etag_succeeds_with_the_new_one(
    client: httpx.AsyncClient, ada: Account, which: int, if_match: str
) -> None:
    read, write, change = _writes(ada, await publish(client, ada))[which]
    etag = await _etag(client, read, ada)

    response = await client.patch(
        write, json=change, headers=_with(ada, If_Match=if_match.format(etag=etag))
    )

    assert response.status_code == 200, response.text
    assert response.headers["etag"] != etag
    assert response.headers["etag"] == await _etag(client, read, ada)


@pytest.mark.parametrize("which", [0, 1, 2], ids=["post", "user", "me"])
async def test_a_weak_etag_never_matches_if_match(
    client: httpx.AsyncClient, ada: Account, which: int
) -> None:
    read, write, change = _writes(ada, await publish(client, ada))[which]
    etag = await _etag(client, read, ada)

    response = await client.patch(write, json=change, headers=_with(ada, If_Match=f"W/{etag}"))

    assert_problem(response, 412, VERSION_MISMATCH)
    assert await _etag(client, read, ada) == etag


@pytest.mark.parametrize("which", [0, 1, 2], ids=["post", "user", "me"])
async def test_a_delete_honours_if_match(
    client: httpx.AsyncClient, ada: Account, which: int
) -> None:
    read, write, change = _writes(ada, await publish(client, ada))[which]
    stale = await _etag(client, read, ada)
    await client.patch(write, json=change, headers=ada.headers)
    current = await _etag(client, read, ada)

    refused = await client.delete(write, headers=_with(ada, If_Match=stale))
    assert_problem(refused, 412, VERSION_MISMATCH)
    assert await _etag(client, read, ada) == current

    deleted = await client.delete(write, headers=_with(ada, If_Match=current))
    assert deleted.status_code == 204
    gone = f"/users/{ada.id}" if read == "/users/me" else read
    assert (await client.get(gone)).status_code == 404


async def test_without_if_match_the_last_writer_wins_as_before(
    client: httpx.AsyncClient, ada: Account
) -> None:
    post = await publish(client, ada)
    path = f"/posts/{post['id']}"

    first = await client.patch(path, json={"title": "First"}, headers=ada.headers)
    second = await client.patch(path, json={"title": "Second"}, headers=ada.headers)

    assert (first.status_code, second.status_code) == (200, 200)
    assert (await client.get(path)).json()["title"] == "Second"
    assert (await client.delete(path, headers=ada.headers)).status_code == 204


async def test_missing_and_not_ones_own_come_before_a_failed_precondition(
    client: httpx.AsyncClient, ada: Account
) -> None:
    bob = await sign_up(client)
    post = await publish(client, ada)
    stale = {"If-Match": '"stale"'}

    assert_problem(
        await client.patch("/posts/999", json={"title": "x"}, headers=bob.headers | stale), 404
    )
    assert_problem(await client.delete("/posts/999", headers=bob.headers | stale), 404)
    assert_problem(
        await client.patch(
            f"/posts/{post['id']}", json={"title": "x"}, headers=bob.headers | stale
        ),
        403,
    )
    assert_problem(await client.delete(f"/users/{ada.id}", headers=bob.headers | stale), 403)
    assert_problem(await client.get("/posts/999", headers=stale), 404)


async def test_a_read_honours_if_match_too(client: httpx.AsyncClient, ada: Account) -> None:
    path = f"/users/{ada.id}"
    etag = await _etag(client, path)

    assert (await client.get(path, headers={"If-Match": etag})).status_code == 200
    assert_problem(await client.get(path, headers={"If-Match": '"0"'}), 412, VERSION_MISMATCH)


@pytest.mark.parametrize(
    "value",
    ["1", '"a" "b"', 'W/"a', '"a"; "b"', '*, "a"', 'w/"a"', '"a b"', "**"],
)
@pytest.mark.parametrize("header", ["If-Match", "If-None-Match"])
async def test_a_malformed_precondition_is_a_400_and_nothing_changes(
    client: httpx.AsyncClient, ada: Account, header: str, value: str
) -> None:
    post = await publish(client, ada)
    path = f"/posts/{post['id']}"
    headers = ada.headers | {header: value}

    read = await client.get(path, headers=headers)
    body = assert_problem(read, 400)
    assert header in body["detail"]
    if header == "If-Match":
        assert_problem(await client.patch(path, json={"title": "x"}, headers=headers), 400)
        assert_problem(await client.delete(path, headers=headers), 400)
        assert (await client.get(path)).json() == post


async def test_several_if_match_lines_are_one_list(client: httpx.AsyncClient, ada: Account) -> None:
    post = await publish(client, ada)
    path = f"/posts/{post['id']}"
    etag = await _etag(client, path)
    headers = [*ada.headers.items(), ("If-Match", '"stale"'), ("If-Match", etag)]

    response = await client.patch(path, json={"title": "x"}, headers=headers)

    assert response.status_code == 200, response.text


async def _race(requests: list[Any]) -> list[httpx.Response]:
    responses: list[httpx.Response] = await asyncio.gather(*requests)
    return responses


@pytest.mark.postgres
@pytest.mark.parametrize("resource", ["post", "user"])
async def test_parallel_patches_with_one_etag_make_one_winner(
    pg_client: httpx.AsyncClient, resource: str
) -> None:
    """Ten writers read the same state; exactly one change lands, and nothing is lost silently."""
    writer = await sign_up(pg_client)
    post = await publish(pg_client, writer)
    path = f"/posts/{post['id']}" if resource == "post" else "/users/me"
    etag = await _etag(pg_client, path, writer)

    def change(n: int) -> dict[str, str]:
        return {"title": f"Edition {n}"} if resource == "post" else {"username": f"edition.{n}"}

    responses = await _race(
        [
            pg_client.patch(path, json=change(n), headers=_with(writer, If_Match=etag))
            for n in range(10)
        ]
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * 9
    for loser in (r for r in responses if r.status_code == 412):
        assert_problem(loser, 412, VERSION_MISMATCH)
    (winner,) = (r for r in responses if r.status_code == 200)
    stored = await pg_client.get(path, headers=writer.headers)
    assert stored.json() == winner.json()
    assert stored.headers["etag"] == winner.headers["etag"]


@pytest.mark.postgres
async def test_a_delete_racing_patches_with_one_etag_leaves_one_outcome(
    pg_client: httpx.AsyncClient,
) -> None:
    """Exactly one request lands. If a patch, the rest are 412s; if the delete, the patches
    find the post gone (404: RFC 9110 has "not found" come before a failed precondition)."""
    writer = await sign_up(pg_client)
    for round_ in range(6):
        post = await publish(pg_client, writer)
        path = f"/posts/{post['id']}"
        conditional = _with(writer, If_Match=await _etag(pg_client, path))
        racers = [
            pg_client.patch(path, json={"title": f"Round {round_}.{n}"}, headers=conditional)
            for n in range(3)
        ]
        racers.insert(round_ % 4, pg_client.delete(path, headers=conditional))

        responses = await _race(racers)

        (deleted,) = (r for r in responses if r.request.method == "DELETE")
        patches = [r for r in responses if r.request.method == "PATCH"]
        stored = await pg_client.get(path)
        if deleted.status_code == 204:
            for patched in patches:
                assert_problem(patched, 404)
            assert stored.status_code == 404
        else:
            assert_problem(deleted, 412, VERSION_MISMATCH)
            (winner,) = (r for r in patches if r.status_code == 200)
            assert sorted(r.status_code for r in patches) == [200, 412, 412]
            assert stored.json() == winner.json()
