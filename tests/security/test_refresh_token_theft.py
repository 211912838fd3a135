"""A stolen refresh token (OAuth 2.0 Security BCP, RFC 9700 section 4.14).

Rotation makes each refresh token work once, so a copy in a thief's hands
and the owner's own can never both be used: whichever comes second presents
a spent token, and the whole session ends for both. The tokens are kept only
as SHA-256 digests, so a copy of the database refreshes nothing, and no
token ever reaches a log.
"""

import hashlib
import logging
import secrets

import pytest

from tests.support.accounts import bearer, refresh, sign_up
from tests.support.apps import App, Build


async def _stored_digests(app: App) -> set[bytes]:
    if app.container.settings().repository == "memory":
        return set(app.container.memory_store().refresh_tokens)
    async with app.container.databases().primary.pool.connection() as connection:
        rows = await (await connection.execute("SELECT digest FROM refresh_tokens")).fetchall()
    return {bytes(row[0]) for row in rows}


async def test_a_thief_replaying_a_token_the_owner_already_spent_ends_the_session(
    build: Build,
) -> None:
    app = build()
    owner = await sign_up(app.client)
    stolen = owner.refresh_token
    owners_next = (await refresh(app.client, stolen)).json()

    thief = await refresh(app.client, stolen)

    assert thief.status_code == 401
    assert (
        await app.client.get("/users/me", headers=bearer(owners_next["access_token"]))
    ).status_code == 401
    assert (await refresh(app.client, owners_next["refresh_token"])).status_code == 401


async def test_a_thief_who_refreshes_first_is_signed_out_when_the_owner_refreshes(
    build: Build,
) -> None:
    app = build()
    owner = await sign_up(app.client)
    thiefs = (await refresh(app.client, owner.refresh_token)).json()

    assert (await refresh(app.client, owner.refresh_token)).status_code == 401

    assert (
        await app.client.get("/users/me", headers=bearer(thiefs["access_token"]))
    ).status_code == 401
    assert (await refresh(app.client, thiefs["refresh_token"])).status_code == 401


async def test_a_copy_of_the_stored_digests_refreshes_nothing(build: Build) -> None:
    app = build()
    owner = await sign_up(app.client)

    digests = await _stored_digests(app)

    assert digests == {hashlib.sha256(owner.refresh_token.encode()).digest()}
    for digest in digests:
        assert owner.refresh_token.encode() not in digest
        for leaked in (digest.hex(), digest.decode("latin-1")):
            assert (await refresh(app.client, leaked)).status_code in (401, 422)
    assert (await refresh(app.client, owner.refresh_token)).status_code == 200


async def test_no_token_reaches_the_logs(build: Build, caplog: pytest.LogCaptureFixture) -> None:
    app = build()
    with caplog.at_level(logging.DEBUG):
        owner = await sign_up(app.client)
        rotated = (await refresh(app.client, owner.refresh_token)).json()
        await refresh(app.client, owner.refresh_token)  # reuse: logged, without the token
        await app.client.get("/users/me", headers=owner.headers)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "refresh token reused" in logged
    for secret in (
        owner.token,
        owner.refresh_token,
        rotated["access_token"],
        rotated["refresh_token"],
    ):
        assert secret not in logged


async def test_guessing_refresh_tokens_is_limited_per_address(build: Build) -> None:
    app = build(rate_limit_refreshes="3/minute")
    owner = await sign_up(app.client)

    guesses = [await refresh(app.client, secrets.token_urlsafe(32)) for _ in range(3)]
    past_the_limit = await refresh(app.client, owner.refresh_token)

    assert [guess.status_code for guess in guesses] == [401, 401, 401]
    assert (
        len({guess.content.replace(guess.request.url.path.encode(), b"") for guess in guesses}) == 1
    )
    assert past_the_limit.status_code == 429
    assert int(past_the_limit.headers["retry-after"]) >= 1
