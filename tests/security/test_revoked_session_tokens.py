"""A stolen access token after its session ended: logged out, revoked by its owner, signed
out by a password change, or expired. Each is refused at once on every route that takes a
token, with the very 401 a forged token gets, without waiting for the token's own expiry.

The routes are read from the OpenAPI document, so a route added later with a bearer token is
in the table without anyone remembering to put it there.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import jwt
import pytest
from dependency_injector import providers

from infrastructure.memory import InMemoryStore
from infrastructure.security.tokens import JwtTokenIssuer
from tests.support.accounts import PASSWORD, Account, bearer, login, publish, sign_up
from tests.support.apps import App, Build

Operation = tuple[str, str]
End = Callable[[App, Account], Awaitable[None]]


def _locked_operations(schema: dict[str, Any]) -> list[Operation]:
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if any("OAuth2PasswordBearer" in need for need in operation.get("security", []))
    ]


async def _logged_out(app: App, victim: Account) -> None:
    assert (await app.client.post("/auth/logout", headers=victim.headers)).status_code == 204


async def _revoked_by_owner(app: App, victim: Account) -> None:
    """The owner, in another session, ends every other one: the stolen token's among them."""
    owner = (await login(app.client, victim.username)).json()["access_token"]
    response = await app.client.delete("/users/me/sessions", headers=bearer(owner))
    assert response.status_code == 204


async def _password_changed(app: App, victim: Account) -> None:
    owner = (await login(app.client, victim.username)).json()["access_token"]
    body = {"password": "a fresh and long passphrase", "current_password": PASSWORD}
    response = await app.client.patch("/users/me", json=body, headers=bearer(owner))
    assert response.status_code == 200, response.text


async def _expired(app: App, victim: Account) -> None:
    """The session's time is up (its access token is not: it was issued a moment ago)."""
    claims = jwt.decode(victim.token, options={"verify_signature": False})
    settings = app.container.settings()
    if settings.repository == "memory":
        store: InMemoryStore = app.container.memory_store()
        session = next(s for s in store.sessions.values() if str(s.id) == claims["sid"])
        store.sessions[session.id] = replace(session, expires_at=session.created_at)
        return
    pool = app.container.databases().primary.pool
    async with pool.connection() as connection:
        await connection.execute(
            "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = %s",
            (claims["sid"],),
        )


ENDINGS = [
    pytest.param(_logged_out, id="logged-out"),
    pytest.param(_revoked_by_owner, id="revoked-by-owner"),
    pytest.param(_password_changed, id="password-changed"),
    pytest.param(_expired, id="session-expired"),
]


def _request(method: str, path: str, victim: Account, post_id: int, session: str) -> Any:
    url = path.format(user_id=victim.id, post_id=post_id, session_id=session)
    # A valid body where one is taken: the refusal must not depend on a 422 coming first.
    body = {"title": "t", "content": "c"} if (method, path) == ("POST", "/posts/") else {}
    return method, url, body


@pytest.mark.parametrize("end", ENDINGS)
async def test_a_token_of_an_ended_session_is_refused_on_every_locked_route(
    build: Build, end: End
) -> None:
    app = build()
    schema = (await app.client.get("/openapi.json")).json()
    operations = _locked_operations(schema)
    assert ("POST", "/posts/") in operations
    assert ("GET", "/users/me") in operations
    victim = await sign_up(app.client)
    post = await publish(app.client, victim)
    session = jwt.decode(victim.token, options={"verify_signature": False})["sid"]
    forged = victim.token[:-4] + ("AAAA" if not victim.token.endswith("AAAA") else "BBBB")

    await end(app, victim)

    for method, path in operations:
        verb, url, body = _request(method, path, victim, post["id"], session)
        refused = await app.client.request(verb, url, json=body, headers=victim.headers)
        as_forged = await app.client.request(verb, url, json=body, headers=bearer(forged))
        assert refused.status_code == 401, f"{method} {path}: {refused.text}"
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json() == as_forged.json(), f"{method} {path} tells the two apart"
    assert (await app.client.get(f"/posts/{post['id']}")).status_code == 200, "nothing changed"


async def test_an_access_token_used_while_valid_is_refused_once_it_expires(build: Build) -> None:
    """Verified tokens are kept (`JwtTokenIssuer.caller_of`): keeping one must not outlive it."""
    app = build()
    now = [time.time()]
    issuer = JwtTokenIssuer(
        secret="a-test-secret-of-this-test-only-" * 2,
        algorithm="HS256",
        lifetime=timedelta(minutes=15),
        clock=lambda: now[0],
    )
    app.container.token_issuer.override(providers.Object(issuer))
    victim = await sign_up(app.client)
    assert (await app.client.get("/users/me", headers=victim.headers)).status_code == 200

    now[0] += 15 * 60 + 1
    refused = await app.client.get("/users/me", headers=victim.headers)
    forged = await app.client.get("/users/me", headers=bearer(victim.token[:-4] + "AAAA"))

    assert refused.status_code == 401
    assert refused.json() == forged.json()
