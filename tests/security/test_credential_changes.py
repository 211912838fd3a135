"""A stolen token alone cannot take an account for good: credentials change only with the password.

Issue 13, item 3. A token is a bearer secret that lives for half an hour;
the password and the email are what give access after it expires (the email
through any reset a client builds on it). So changing either needs the
current password, and each check of it is a guess counted with the failed
logins, so that the PATCH is no unlimited password oracle.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Final

import httpx
import pytest

from application.ports import PasswordHasher, PasswordStrength
from application.unit_of_work import UnitOfWork
from application.users import UpdateUser, UserService
from domain.users import CredentialsChangedMeanwhileError
from tests.support.accounts import PASSWORD, Account, login, sign_up
from tests.support.apps import Build
from tests.support.factories import register_user
from tests.support.problems import assert_problem

CHANGES = [{"password": "violet-kettle-53"}, {"email": "thief@example.com"}]
CHANGE_IDS = ["password", "email"]


async def _patch(
    client: httpx.AsyncClient, account: Account, body: dict[str, Any], path: str = "/users/me"
) -> httpx.Response:
    return await client.patch(path, json=body, headers=account.headers)


@pytest.mark.parametrize("change", CHANGES, ids=CHANGE_IDS)
@pytest.mark.parametrize("path", ["/users/me", "/users/{id}"])
async def test_a_stolen_token_alone_cannot_change_the_password_or_the_email(
    client: httpx.AsyncClient, change: dict[str, str], path: str
) -> None:
    victim = await sign_up(client)
    before = (await client.get("/users/me", headers=victim.headers)).json()

    response = await _patch(client, victim, change, path.format(id=victim.id))

    body = assert_problem(response, 422)
    [error] = body["errors"]
    assert error["loc"] == ["body", "current_password"]
    assert error["type"] == "missing"
    assert (await client.get("/users/me", headers=victim.headers)).json() == before
    assert (await login(client, victim.username)).status_code == 200


@pytest.mark.parametrize("change", CHANGES, ids=CHANGE_IDS)
async def test_a_stolen_token_with_a_guessed_current_password_is_403(
    client: httpx.AsyncClient, change: dict[str, str]
) -> None:
    victim = await sign_up(client)

    response = await _patch(client, victim, change | {"current_password": "a-wrong-guess"})

    body = assert_problem(response, 403, "The current password is not correct")
    assert body["type"] == "/problems/wrong-current-password"
    assert (await login(client, victim.username)).status_code == 200


@pytest.mark.parametrize("change", CHANGES, ids=CHANGE_IDS)
async def test_the_owner_changes_credentials_with_the_current_password(
    client: httpx.AsyncClient, change: dict[str, str]
) -> None:
    owner = await sign_up(client)

    response = await _patch(client, owner, change | {"current_password": PASSWORD})

    assert response.status_code == 200, response.text
    # A new email waits for the link mailed to it (tests/integration/mail).
    assert response.json()["email"] == owner.email
    assert response.json()["pending_email"] == change.get("email")
    password = change.get("password", PASSWORD)
    assert (await login(client, owner.username, password)).status_code == 200


async def test_a_username_change_needs_no_current_password(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)

    response = await _patch(client, owner, {"username": "renamed.owner"})

    assert response.status_code == 200
    assert response.json()["username"] == "renamed.owner"


@pytest.mark.parametrize("login_as", ["username", "email"])
async def test_the_patch_is_no_password_oracle_past_the_failed_login_limit(
    build: Build, login_as: str
) -> None:
    """Guesses through the PATCH count as failed logins under both names of the account.

    A login counts under the name typed; a guess here counts under the
    username's and the email's, so neither the login nor more PATCHes give
    the thief another guess once the limit is used up, right password or not.
    """
    client = build(rate_limit_login_failures="3/minute").client
    victim = await sign_up(client)
    guess = {"password": "violet-kettle-53", "current_password": "a-wrong-guess"}

    answers = [(await _patch(client, victim, guess)).status_code for _ in range(3)]
    right = await _patch(client, victim, guess | {"current_password": PASSWORD})
    logged_in = await login(client, getattr(victim, login_as))

    assert answers == [403, 403, 403]
    assert_problem(right, 429)
    assert "Too many failed logins" in right.json()["detail"]
    assert_problem(logged_in, 429)
    assert int(right.headers["retry-after"]) >= 1


async def test_a_right_current_password_drops_the_count_as_a_login_does(build: Build) -> None:
    client = build(rate_limit_login_failures="3/minute").client
    owner = await sign_up(client)
    wrong = {"email": "owner.new@example.com", "current_password": "a-wrong-guess"}

    for _ in range(2):
        assert (await _patch(client, owner, wrong)).status_code == 403
    right = await _patch(client, owner, wrong | {"current_password": PASSWORD})
    for _ in range(2):
        assert (await _patch(client, owner, wrong)).status_code == 403

    assert right.status_code == 200, right.text


class OwnerChangesFirst:
    """The real hasher; while it hashes the thief's new password, the owner changes theirs.

    That is the race a thief who has the password and a token runs against
    the owner who noticed: the thief's change was checked against the old
    password, and must not land on top of the owner's new one.
    """

    def __init__(self, inner: PasswordHasher, owner_changes: Callable[[], Awaitable[None]]) -> None:
        self._inner = inner
        self._owner_changes = owner_changes

    async def hash(self, password: str) -> str:
        hashed = await self._inner.hash(password)
        if password == THIEFS_PASSWORD:
            await self._owner_changes()
        return hashed

    async def verify(self, password: str, password_hash: str) -> bool:
        return await self._inner.verify(password, password_hash)

    async def verify_and_update(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        return await self._inner.verify_and_update(password, password_hash)

    async def verify_dummy(self, password: str) -> None:
        await self._inner.verify_dummy(password)


THIEFS_PASSWORD: Final = "thief-owns-it-now"
OWNERS_PASSWORD: Final = "owner-took-it-back"


async def test_a_thiefs_change_does_not_overwrite_the_owners_password_changed_meanwhile(
    uow_factory: Callable[[], UnitOfWork],
    password_hasher: PasswordHasher,
    password_strength: PasswordStrength,
) -> None:
    users = UserService(uow_factory(), password_hasher, password_strength)
    owner = await users.register_user(register_user(password=PASSWORD))

    async def owner_changes() -> None:
        change = UpdateUser(password=OWNERS_PASSWORD, current_password=PASSWORD)
        await users.update_user(owner, owner.id, change)

    racing = UserService(
        uow_factory(), OwnerChangesFirst(password_hasher, owner_changes), password_strength
    )
    with pytest.raises(CredentialsChangedMeanwhileError):
        await racing.update_user(
            owner, owner.id, UpdateUser(password=THIEFS_PASSWORD, current_password=PASSWORD)
        )

    stored = await users.get_user(owner.id)
    assert await password_hasher.verify(OWNERS_PASSWORD, stored.password_hash)
