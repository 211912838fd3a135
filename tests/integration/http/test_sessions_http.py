"""Sessions over HTTP, on both adapters: refresh, rotation, logout, the list and revocation."""

import asyncio

import httpx
import pytest

from tests.support.accounts import PASSWORD, Account, bearer, login, refresh, sign_up
from tests.support.problems import assert_problem

REFRESH_REFUSED = "The refresh token is not valid; log in again"


async def _me(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/users/me", headers=bearer(token))).status_code


async def _second_login(client: httpx.AsyncClient, account: Account) -> dict[str, str]:
    response = await login(client, account.username)
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


def _refused(response: httpx.Response) -> None:
    assert_problem(response, 401, REFRESH_REFUSED)
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/invalid-refresh-token"


async def test_a_refresh_gives_a_new_pair_in_the_same_session(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)

    response = await refresh(client, account.refresh_token)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    pair = response.json()
    assert pair["refresh_token"] != account.refresh_token
    assert (pair["token_type"], pair["expires_in"]) == ("bearer", 900)
    assert await _me(client, pair["access_token"]) == 200
    assert await _me(client, account.token) == 200, "the session lives on: so do its tokens"
    (session,) = (
        await client.get("/users/me/sessions", headers=bearer(pair["access_token"]))
    ).json()
    assert session["current"] is True


async def test_a_refresh_token_works_once(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    assert (await refresh(client, account.refresh_token)).status_code == 200

    _refused(await refresh(client, account.refresh_token))


async def test_a_spent_refresh_token_presented_again_ends_the_session(
    client: httpx.AsyncClient,
) -> None:
    """Reuse detection: whoever holds the new pair (the owner, or the thief) is signed out."""
    account = await sign_up(client)
    elsewhere = await _second_login(client, account)
    rotated = (await refresh(client, account.refresh_token)).json()

    _refused(await refresh(client, account.refresh_token))

    for token in (account.token, rotated["access_token"]):
        assert await _me(client, token) == 401
    _refused(await refresh(client, rotated["refresh_token"]))
    assert await _me(client, elsewhere["access_token"]) == 200, "other sessions go on"


async def test_of_concurrent_refreshes_with_one_token_exactly_one_succeeds(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)

    answers = await asyncio.gather(*(refresh(client, account.refresh_token) for _ in range(4)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200, 401, 401, 401]
    issued = next(a.json() for a in answers if a.status_code == 200)
    assert await _me(client, issued["access_token"]) == 401, "the others were reuse"


@pytest.mark.parametrize(
    "token",
    [" ", "not-a-token", "x" * 43, "x" * 1024, "eyJhbGciOiJIUzI1NiJ9.e30.sig"],
    ids=["blank", "malformed", "unknown", "long", "a-jwt"],
)
async def test_bad_refresh_tokens_get_one_401_for_all(
    client: httpx.AsyncClient, token: str
) -> None:
    account = await sign_up(client)

    _refused(await refresh(client, token))
    assert (await refresh(client, account.refresh_token)).status_code == 200


async def test_an_access_token_is_no_refresh_token(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)

    _refused(await refresh(client, account.token))


async def test_a_revoked_sessions_refresh_token_gets_the_same_401(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    assert (await client.post("/auth/logout", headers=account.headers)).status_code == 204

    _refused(await refresh(client, account.refresh_token))


async def test_another_grant_type_is_400_unsupported_grant_type(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    form = {"grant_type": "password", "refresh_token": account.refresh_token}

    response = await client.post("/auth/refresh", data=form)

    body = assert_problem(
        response, 400, "Unsupported grant_type: this endpoint serves only refresh_token"
    )
    assert body["type"] == "/problems/unsupported-grant-type"
    assert (await refresh(client, account.refresh_token)).status_code == 200, "not spent"


async def test_a_refresh_that_is_not_a_form_is_415(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)

    response = await client.post(
        "/auth/refresh", json={"grant_type": "refresh_token", "refresh_token": account.token}
    )

    assert_problem(
        response,
        415,
        "POST /auth/refresh takes a form, sent as application/x-www-form-urlencoded, with the "
        "fields grant_type=refresh_token and refresh_token (OAuth2's refresh grant), not JSON",
    )


async def test_an_incomplete_refresh_form_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/refresh", data={"grant_type": "refresh_token"})

    body = assert_problem(response, 422)
    assert [error["loc"] for error in body["errors"]] == [["body", "refresh_token"]]


async def test_logout_ends_the_session_at_once(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    other = await _second_login(client, account)

    response = await client.post("/auth/logout", headers=account.headers)

    assert response.status_code == 204
    assert await _me(client, account.token) == 401
    assert (await client.post("/auth/logout", headers=account.headers)).status_code == 401
    assert await _me(client, other["access_token"]) == 200


async def test_the_list_shows_live_sessions_and_which_is_current(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    phone = await client.post(
        "/auth/token",
        data={"username": account.username, "password": PASSWORD},
        headers={"User-Agent": "Phone/1.0\r\n\x1b[31m" + "x" * 500},
    )
    ended = await _second_login(client, account)
    await client.post("/auth/logout", headers=bearer(ended["access_token"]))

    response = await client.get("/users/me/sessions", headers=account.headers)

    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2
    assert set(sessions[0]) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "user_agent",
        "client_network",
        "current",
    }
    assert [s["current"] for s in sessions] == [False, True], "the most recent first"
    assert sessions[0]["user_agent"].startswith("Phone/1.0 [31mxxx")
    assert len(sessions[0]["user_agent"]) == 256
    assert sessions[1]["client_network"] == "127.0.0.0/24"
    assert phone.status_code == 200
    serialized = response.text
    assert account.refresh_token not in serialized
    assert phone.json()["refresh_token"] not in serialized


async def test_one_session_is_revoked_by_its_id(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    other = await _second_login(client, account)
    listed = (await client.get("/users/me/sessions", headers=account.headers)).json()
    other_id = next(s["id"] for s in listed if not s["current"])

    response = await client.delete(f"/users/me/sessions/{other_id}", headers=account.headers)

    assert response.status_code == 204
    assert await _me(client, other["access_token"]) == 401
    _refused(await refresh(client, other["refresh_token"]))
    again = await client.delete(f"/users/me/sessions/{other_id}", headers=account.headers)
    assert_problem(again, 404, "Session not found")
    assert await _me(client, account.token) == 200


async def test_someone_elses_session_is_not_found(client: httpx.AsyncClient) -> None:
    mine, theirs = await sign_up(client), await sign_up(client)
    (their_session,) = (await client.get("/users/me/sessions", headers=theirs.headers)).json()

    response = await client.delete(
        f"/users/me/sessions/{their_session['id']}", headers=mine.headers
    )

    assert_problem(response, 404, "Session not found")
    assert await _me(client, theirs.token) == 200


async def test_a_malformed_session_id_is_422(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)

    response = await client.delete("/users/me/sessions/not-a-uuid", headers=account.headers)

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["path", "session_id"]


async def test_every_other_session_is_ended_and_the_current_one_kept(
    client: httpx.AsyncClient,
) -> None:
    account = await sign_up(client)
    others = [await _second_login(client, account) for _ in range(3)]

    response = await client.delete("/users/me/sessions", headers=account.headers)

    assert response.status_code == 204
    for other in others:
        assert await _me(client, other["access_token"]) == 401
        _refused(await refresh(client, other["refresh_token"]))
    (kept,) = (await client.get("/users/me/sessions", headers=account.headers)).json()
    assert kept["current"] is True
    assert (await refresh(client, account.refresh_token)).status_code == 200


async def test_a_new_password_signs_out_every_other_session(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    other = await _second_login(client, account)

    response = await client.patch(
        "/users/me",
        json={"password": "an entirely new passphrase", "current_password": PASSWORD},
        headers=account.headers,
    )

    assert response.status_code == 200, response.text
    assert await _me(client, other["access_token"]) == 401
    _refused(await refresh(client, other["refresh_token"]))
    assert await _me(client, account.token) == 200
    assert (await refresh(client, account.refresh_token)).status_code == 200


async def test_a_new_email_keeps_the_other_sessions(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    other = await _second_login(client, account)

    response = await client.patch(
        "/users/me",
        json={"email": "moved@example.com", "current_password": PASSWORD},
        headers=account.headers,
    )

    assert response.status_code == 200, response.text
    assert await _me(client, other["access_token"]) == 200


async def test_deleting_the_account_ends_every_session(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    other = await _second_login(client, account)

    assert (await client.delete("/users/me", headers=account.headers)).status_code == 204

    for token in (account.token, other["access_token"]):
        assert await _me(client, token) == 401
    for refresh_token in (account.refresh_token, other["refresh_token"]):
        _refused(await refresh(client, refresh_token))
