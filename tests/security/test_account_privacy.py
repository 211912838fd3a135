"""Property-level exposure (OWASP API3): what a stranger can learn about an account.

A stranger sees a user's public view (id, username, created_at) and nothing
else, wherever a user appears; and the public view's ETag moves only with the
public view, so that watching it does not tell when someone changed their
password or their email. The account itself sees its private view.
"""

from typing import Any

import httpx

from tests.support.accounts import PASSWORD, Account, publish, sign_up

PUBLIC_USER = {"id", "username", "created_at"}
PUBLIC_AUTHOR = {"id", "username"}


async def _change_own_account(
    client: httpx.AsyncClient, account: Account, *, current_password: str = PASSWORD, **fields: str
) -> httpx.Response:
    """The owner's PATCH of their own account: the one place these tests change one.

    The owner knows the password, which a change of the email or the password needs.
    """
    body = fields | {"current_password": current_password}
    response = await client.patch("/users/me", json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    return response


def _assert_no_email_in(response: httpx.Response, *emails: str) -> None:
    for email in emails:
        assert email not in response.text


async def test_harvesting_emails_by_following_the_users_link_finds_none(
    client: httpx.AsyncClient,
) -> None:
    accounts = [await sign_up(client) for _ in range(4)]
    emails = [account.email for account in accounts]

    seen: list[dict[str, Any]] = []
    url: str | None = "/users/?limit=1"
    for _ in range(10):  # a bound, above the four pages there are
        if url is None:
            break
        page = await client.get(url)
        assert page.status_code == 200, page.text
        _assert_no_email_in(page, *emails)
        seen.extend(page.json())
        url = page.links["next"]["url"] if "next" in page.links else None

    assert [user["id"] for user in seen] == [account.id for account in accounts]
    assert all(set(user) == PUBLIC_USER for user in seen)


async def test_reading_a_stranger_by_id_shows_no_email(client: httpx.AsyncClient) -> None:
    ada = await sign_up(client)

    response = await client.get(f"/users/{ada.id}")

    assert response.status_code == 200, response.text
    assert set(response.json()) == PUBLIC_USER
    _assert_no_email_in(response, ada.email)


async def test_reading_post_authors_shows_no_email(client: httpx.AsyncClient) -> None:
    ada = await sign_up(client)
    post = await publish(client, ada)

    answers = [
        await client.get(path)
        for path in ("/posts/", f"/posts/{post['id']}", f"/users/{ada.id}/posts")
    ]

    for response in answers:
        assert response.status_code == 200, response.text
        _assert_no_email_in(response, ada.email)
        body = response.json()
        for shown in body if isinstance(body, list) else [body]:
            assert set(shown["author"]) == PUBLIC_AUTHOR


async def test_watching_a_strangers_etag_does_not_reveal_a_password_or_email_change(
    client: httpx.AsyncClient,
) -> None:
    ada = await sign_up(client)
    post = await publish(client, ada)
    paths = (f"/users/{ada.id}", f"/posts/{post['id']}")
    before = {path: (await client.get(path)).headers["etag"] for path in paths}

    await _change_own_account(client, ada, password="another-pass-word")
    await _change_own_account(
        client, ada, email="ada.elsewhere@example.com", current_password="another-pass-word"
    )

    for path in paths:
        again = await client.get(path, headers={"If-None-Match": before[path]})
        assert again.status_code == 304, path
        assert again.headers["etag"] == before[path]


async def test_a_strangers_etag_still_moves_when_the_public_view_does(
    client: httpx.AsyncClient,
) -> None:
    ada = await sign_up(client)
    post = await publish(client, ada)
    paths = (f"/users/{ada.id}", f"/posts/{post['id']}")
    before = {path: (await client.get(path)).headers["etag"] for path in paths}

    await _change_own_account(client, ada, username="ada-renamed")

    for path in paths:
        again = await client.get(path, headers={"If-None-Match": before[path]})
        assert again.status_code == 200, path
        assert again.headers["etag"] != before[path]
        assert "ada-renamed" in again.text


async def test_the_account_itself_sees_its_private_view_and_tag(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        "/users/",
        json={"email": "Own@Example.com", "username": "own", "password": "pass-word-1"},
    )
    owner = await sign_up(client, email="owner@example.com", username="owner")
    me = await client.get("/users/me", headers=owner.headers)
    public = await client.get(f"/users/{owner.id}")
    changed = await _change_own_account(client, owner, password="another-pass-word")

    assert created.status_code == 201, created.text
    assert created.json()["email"] == "own@example.com"
    assert me.json()["email"] == changed.json()["email"] == "owner@example.com"
    assert {"email", "updated_at"} <= set(me.json()) & set(changed.json())
    assert changed.headers["etag"] != me.headers["etag"], "the private tag moves with the hash"
    assert public.headers["etag"] != me.headers["etag"]
    assert (await client.get(f"/users/{owner.id}")).headers["etag"] == public.headers["etag"]


async def test_a_public_etag_in_if_match_is_refused_and_the_private_one_accepted(
    client: httpx.AsyncClient,
) -> None:
    ada = await sign_up(client)
    public = (await client.get(f"/users/{ada.id}")).headers["etag"]
    private = (await client.get("/users/me", headers=ada.headers)).headers["etag"]

    stale = await client.patch(
        "/users/me", json={"username": "ada-x"}, headers=ada.headers | {"If-Match": public}
    )
    fresh = await client.patch(
        "/users/me", json={"username": "ada-y"}, headers=ada.headers | {"If-Match": private}
    )

    assert stale.status_code == 412, stale.text
    assert fresh.status_code == 200, fresh.text
