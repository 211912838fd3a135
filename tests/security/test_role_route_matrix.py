"""Broken function-level authorisation (OWASP API5): every operation, for every kind of caller.

For each operation of the OpenAPI document, the answer an anonymous caller,
the owner of the resource, another member and an admin get. The table must
name every operation: a route added without a row fails here, so none can
skip the policy (`domain/authorization.py`) unnoticed. Each cell runs in a
world of its own (an owner with a post and a session, another member, an
admin), as many of the requests end a session or delete what they act on.
"""

from dataclasses import dataclass
from enum import StrEnum
from itertools import count
from typing import Any, Final

import jwt
import pytest

from tests.support.accounts import PASSWORD, Account, bearer, publish, sign_up
from tests.support.admins import make_admin
from tests.support.apps import App, Build


class Caller(StrEnum):
    ANONYMOUS = "anonymous"
    OWNER = "owner"
    MEMBER = "member"
    ADMIN = "admin"


Row = tuple[int, int, int, int]
"""The statuses for an anonymous caller, the owner, another member and an admin."""

OWN: Final[Row] = (401, 200, 403, 403)
"""A change of the owner's thing by id: theirs alone."""

MATRIX: Final[dict[tuple[str, str], Row]] = {
    ("GET", "/health/live"): (200, 200, 200, 200),
    ("GET", "/health/ready"): (200, 200, 200, 200),
    ("POST", "/auth/token"): (200, 200, 200, 200),
    ("POST", "/auth/refresh"): (200, 200, 200, 200),
    ("POST", "/auth/logout"): (401, 204, 204, 204),
    # No caller needed: the mailed token is the proof (the one sent here is no token: 400).
    ("POST", "/auth/verify-email"): (400, 400, 400, 400),
    ("POST", "/auth/password-reset"): (202, 202, 202, 202),
    ("POST", "/auth/password-reset/confirm"): (400, 400, 400, 400),
    ("POST", "/users/me/verification-mail"): (401, 202, 202, 202),
    ("GET", "/users/me/sessions"): (401, 200, 200, 200),
    ("DELETE", "/users/me/sessions"): (401, 204, 204, 204),
    # Someone else's session is not found: whose it is stays unsaid.
    ("DELETE", "/users/me/sessions/{session_id}"): (401, 204, 404, 404),
    ("POST", "/users/"): (201, 201, 201, 201),
    ("GET", "/users/"): (200, 200, 200, 200),
    ("GET", "/users/me"): (401, 200, 200, 200),
    ("PATCH", "/users/me"): (401, 200, 200, 200),
    ("DELETE", "/users/me"): (401, 204, 204, 204),
    ("GET", "/users/{user_id}"): (200, 200, 200, 200),
    ("PATCH", "/users/{user_id}"): OWN,
    ("DELETE", "/users/{user_id}"): (401, 204, 403, 403),
    ("POST", "/posts/"): (401, 201, 201, 201),
    ("GET", "/posts/"): (200, 200, 200, 200),
    ("GET", "/posts/{post_id}"): (200, 200, 200, 200),
    ("PATCH", "/posts/{post_id}"): OWN,
    # An admin removes anyone's post (moderation, with the reason this request gives).
    ("DELETE", "/posts/{post_id}"): (401, 204, 403, 204),
    ("GET", "/users/{user_id}/posts"): (200, 200, 200, 200),
    ("GET", "/admin/users"): (401, 403, 403, 200),
    ("PATCH", "/admin/users/{user_id}"): (401, 403, 403, 200),
    ("GET", "/admin/audit"): (401, 403, 403, 200),
}

_names = count(1)


@dataclass(frozen=True)
class World:
    owner: Account
    post_id: int
    tokens: dict[Caller, str | None]


async def _world(app: App) -> World:
    owner, member, admin = (
        await sign_up(app.client),
        await sign_up(app.client),
        await make_admin(app.client, app.container),
    )
    post = await publish(app.client, owner)
    tokens: dict[Caller, str | None] = {
        Caller.ANONYMOUS: None,
        Caller.OWNER: owner.token,
        Caller.MEMBER: member.token,
        Caller.ADMIN: admin.token,
    }
    return World(owner=owner, post_id=post["id"], tokens=tokens)


def _request(method: str, path: str, world: World) -> dict[str, Any]:
    """The request `method path` makes of the owner's things, with a valid body where one goes."""
    owner = world.owner
    session = jwt.decode(owner.token, options={"verify_signature": False})["sid"]
    url = path.format(user_id=owner.id, post_id=world.post_id, session_id=session)
    name = f"renamed{next(_names)}"
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/auth/token"): {"data": {"username": owner.username, "password": PASSWORD}},
        ("POST", "/auth/refresh"): {
            "data": {"grant_type": "refresh_token", "refresh_token": owner.refresh_token}
        },
        ("POST", "/users/"): {
            "json": {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
        },
        ("POST", "/auth/verify-email"): {"json": {"token": "A" * 43}},
        ("POST", "/auth/password-reset"): {"json": {"email": owner.email}},
        ("POST", "/auth/password-reset/confirm"): {
            "json": {"token": "A" * 43, "new_password": "violet kettle drum 53"}
        },
        ("PATCH", "/users/me"): {"json": {"username": name}},
        ("PATCH", "/users/{user_id}"): {"json": {"username": name}},
        ("POST", "/posts/"): {"json": {"title": "t", "content": "c"}},
        ("PATCH", "/posts/{post_id}"): {"json": {"title": "edited"}},
        ("DELETE", "/posts/{post_id}"): {"params": {"reason": "spam"}},
        ("PATCH", "/admin/users/{user_id}"): {"json": {"active": False}},
    }
    return {"method": method, "url": url, **bodies.get((method, path), {})}


async def test_every_operation_has_a_row(build: Build) -> None:
    schema = (await build().client.get("/openapi.json")).json()

    operations = {
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
    }

    assert operations == set(MATRIX), "give each new operation its row in MATRIX"


@pytest.mark.parametrize(("operation", "row"), MATRIX.items(), ids=[" ".join(o) for o in MATRIX])
async def test_each_kind_of_caller_gets_the_answer_the_policy_gives(
    build: Build, operation: tuple[str, str], row: Row
) -> None:
    app = build()
    for caller, expected in zip(Caller, row, strict=True):
        world = await _world(app)
        token = world.tokens[caller]
        headers = {} if token is None else bearer(token)

        response = await app.client.request(**_request(*operation, world), headers=headers)

        assert response.status_code == expected, f"{caller}: {response.text}"
