"""Token confusion: one kind of token presented where another is expected.

An access token says what it is in its header (RFC 9068 `typ: at+jwt`) and
names its session; a refresh token is an opaque random string looked up by
digest. Neither passes for the other, and no JWT signed with the service's
key passes as an access token without the type and a live session.
"""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from infrastructure.settings import DEVELOPMENT_JWT_SECRET
from tests.support.accounts import bearer, refresh, sign_up
from tests.support.apps import Build


async def test_a_refresh_token_is_no_bearer_token(build: Build) -> None:
    app = build()
    account = await sign_up(app.client)

    response = await app.client.get("/users/me", headers=bearer(account.refresh_token))

    assert response.status_code == 401
    assert response.json()["detail"] == "Could not validate credentials"


async def test_an_access_token_is_no_refresh_token(build: Build) -> None:
    app = build()
    account = await sign_up(app.client)

    response = await refresh(app.client, account.token)

    assert response.status_code == 401
    assert response.json()["type"] == "/problems/invalid-refresh-token"
    assert (await app.client.get("/users/me", headers=account.headers)).status_code == 200


@pytest.mark.parametrize(
    ("header", "drop"),
    [
        pytest.param({"typ": "JWT"}, None, id="a-plain-jwt"),
        pytest.param({}, None, id="no-type"),
        pytest.param({"typ": "at+jwt"}, "sid", id="a-token-from-before-sessions"),
    ],
)
async def test_a_jwt_signed_with_the_key_but_not_an_access_token_is_refused(
    build: Build, header: dict[str, str], drop: str | None
) -> None:
    app = build()
    account = await sign_up(app.client)
    claims = jwt.decode(account.token, options={"verify_signature": False})
    claims |= {"exp": datetime.now(UTC) + timedelta(minutes=5)}
    if drop is not None:
        del claims[drop]
    token = jwt.encode(claims, DEVELOPMENT_JWT_SECRET, algorithm="HS256", headers=header)

    response = await app.client.get("/users/me", headers=bearer(token))

    assert response.status_code == 401


async def test_a_token_naming_someone_elses_session_is_refused(build: Build) -> None:
    """Only the key's holder can mint one; if it leaked, a session still belongs to one user."""
    app = build()
    victim, attacker = await sign_up(app.client), await sign_up(app.client)
    claims = jwt.decode(attacker.token, options={"verify_signature": False})
    claims["sub"] = str(victim.id)
    token = jwt.encode(claims, DEVELOPMENT_JWT_SECRET, algorithm="HS256", headers={"typ": "at+jwt"})

    assert (await app.client.get("/users/me", headers=bearer(token))).status_code == 401
    response = await app.client.post(
        "/posts/", json={"title": "t", "content": "c"}, headers=bearer(token)
    )
    assert response.status_code == 401
