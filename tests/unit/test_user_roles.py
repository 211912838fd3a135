"""Roles on the in-memory adapter: admins made and unmade, and never none left."""

import asyncio

import pytest

from application.ports import PasswordHasher
from application.users import RegisterUser, UserService
from domain.users import LastAdminError, Role, UserNotFoundError
from infrastructure.memory import InMemoryUnitOfWork
from tests.conftest import PASSWORD_STRENGTH
from tests.support.factories import RegisterUserFactory


@pytest.fixture
def users(password_hasher: PasswordHasher) -> UserService:
    return UserService(InMemoryUnitOfWork(), password_hasher, PASSWORD_STRENGTH)


async def _register(users: UserService, name: str, role: Role = Role.MEMBER) -> None:
    command: RegisterUser = RegisterUserFactory.build(username=name, email=f"{name}@example.com")
    await users.register_user(command, role=role)


async def test_a_registration_is_a_member_unless_said_otherwise(users: UserService) -> None:
    await _register(users, "ada")
    await _register(users, "root", Role.ADMIN)

    assert (await users.get_user(1)).role is Role.MEMBER
    assert (await users.get_user(2)).role is Role.ADMIN


async def test_granting_and_revoking_admin_moves_the_private_version(users: UserService) -> None:
    await _register(users, "root", Role.ADMIN)
    await _register(users, "ada")
    before = await users.get_user(2)

    granted = await users.change_role("ADA", Role.ADMIN)
    again = await users.change_role("ada", Role.ADMIN)
    revoked = await users.change_role("ada", Role.MEMBER)

    assert granted.role is Role.ADMIN
    assert granted.version == before.version + 1
    assert again.version == granted.version, "the role it has: no change"
    assert revoked.role is Role.MEMBER
    assert revoked.version == granted.version + 1
    assert revoked.public_revision == before.public_revision, "strangers see no role"


async def test_the_last_admin_cannot_be_demoted(users: UserService) -> None:
    await _register(users, "root", Role.ADMIN)

    with pytest.raises(LastAdminError, match="last active admin"):
        await users.change_role("root", Role.MEMBER)
    assert (await users.get_user(1)).role is Role.ADMIN


async def test_two_admins_demoted_at_once_leave_one(users: UserService) -> None:
    await _register(users, "one", Role.ADMIN)
    await _register(users, "two", Role.ADMIN)

    results = await asyncio.gather(
        users.change_role("one", Role.MEMBER),
        users.change_role("two", Role.MEMBER),
        return_exceptions=True,
    )

    assert sum(isinstance(result, LastAdminError) for result in results) == 1
    roles = [(await users.get_user(user_id)).role for user_id in (1, 2)]
    assert roles.count(Role.ADMIN) == 1


async def test_an_unknown_username_is_not_found(users: UserService) -> None:
    with pytest.raises(UserNotFoundError):
        await users.change_role("nobody", Role.ADMIN)
