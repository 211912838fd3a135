"""The user use cases, on the in-memory adapter."""

import asyncio
import dataclasses

import pytest

from application.pagination import PageRequest
from application.ports import PasswordHasher, PasswordStrength
from application.users import UpdateUser, UserService
from domain.errors import ValidationError
from domain.users import (
    CurrentPasswordRequiredError,
    EmailAlreadyRegisteredError,
    InvalidEmailError,
    InvalidPasswordError,
    InvalidUsernameError,
    NotAccountOwnerError,
    UsernameAlreadyTakenError,
    UserNotFoundError,
    WeakPasswordError,
    WrongCurrentPasswordError,
)
from infrastructure.memory import InMemoryUnitOfWork
from tests.support.factories import register_user


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
def service(
    uow: InMemoryUnitOfWork, password_hasher: PasswordHasher, password_strength: PasswordStrength
) -> UserService:
    return UserService(uow, password_hasher, password_strength)


async def test_registering_stores_the_user_with_a_hash_not_the_password(
    service: UserService, uow: InMemoryUnitOfWork, password_hasher: PasswordHasher
) -> None:
    command = register_user(email="Ada@Example.com", username="ada", password="s3cret-pass-phrase")

    user = await service.register_user(command)

    assert (user.email, user.username) == ("ada@example.com", "ada")
    assert uow.store.users == {user.id: user}
    assert user.password_hash.startswith("$argon2id$")
    assert "s3cret-pass-phrase" not in user.password_hash
    assert await password_hasher.verify("s3cret-pass-phrase", user.password_hash)


async def test_an_email_in_other_case_is_already_registered(service: UserService) -> None:
    await service.register_user(register_user(email="ada@example.com"))

    with pytest.raises(EmailAlreadyRegisteredError, match="Email already registered"):
        await service.register_user(register_user(email="ADA@example.COM"))


async def test_a_username_in_other_case_is_already_taken(service: UserService) -> None:
    await service.register_user(register_user(username="Ada"))

    with pytest.raises(UsernameAlreadyTakenError, match="Username already taken"):
        await service.register_user(register_user(username="aDA"))


async def test_concurrent_registrations_of_one_email_store_one_user(
    uow: InMemoryUnitOfWork, password_hasher: PasswordHasher, password_strength: PasswordStrength
) -> None:
    services = [
        UserService(InMemoryUnitOfWork(uow.store), password_hasher, password_strength)
        for _ in range(10)
    ]
    results = await asyncio.gather(
        *(s.register_user(register_user(email="race@example.com")) for s in services),
        return_exceptions=True,
    )

    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(
        isinstance(r, EmailAlreadyRegisteredError) for r in results if isinstance(r, BaseException)
    )
    assert len(uow.store.users) == 1


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"email": "not-an-email"}, InvalidEmailError),
        ({"username": "no spaces"}, InvalidUsernameError),
        ({"password": "short"}, InvalidPasswordError),
    ],
)
async def test_invalid_input_is_refused_and_nothing_is_stored(
    service: UserService,
    uow: InMemoryUnitOfWork,
    overrides: dict[str, str],
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await service.register_user(register_user(**overrides))
    assert uow.store.users == {}


async def test_get_user_returns_the_stored_user(service: UserService) -> None:
    user = await service.register_user(register_user())

    assert await service.get_user(user.id) == user


async def test_get_user_of_unknown_id_is_not_found(service: UserService) -> None:
    with pytest.raises(UserNotFoundError, match="User not found"):
        await service.get_user(42)


async def test_list_users_pages_in_id_order(service: UserService) -> None:
    users = [await service.register_user(register_user()) for _ in range(5)]

    assert (await service.list_users()).items == users
    assert (await service.list_users(PageRequest(skip=1, limit=2))).items == users[1:3]
    assert (await service.list_users(PageRequest(skip=5))).items == []


@pytest.mark.parametrize(("skip", "limit"), [(-1, 10), (0, 0), (0, 101)])
async def test_list_users_refuses_pages_out_of_range(
    service: UserService, skip: int, limit: int
) -> None:
    with pytest.raises(ValidationError):
        await service.list_users(PageRequest(skip=skip, limit=limit))


async def test_a_user_changes_their_own_account(
    service: UserService, uow: InMemoryUnitOfWork, password_hasher: PasswordHasher
) -> None:
    user = await service.register_user(register_user(password="first-pass-word"))

    updated = await service.update_user(
        user,
        user.id,
        UpdateUser(
            email="New@Example.com",
            username="renamed",
            password="second-pass-word",
            current_password="first-pass-word",
        ),
    )

    assert (updated.email, updated.pending_email) == (user.email, "new@example.com")
    assert updated.username == "renamed"
    assert await password_hasher.verify("second-pass-word", updated.password_hash)
    assert uow.store.users[user.id] == updated


async def test_nobody_changes_or_deletes_another_users_account(service: UserService) -> None:
    owner = await service.register_user(register_user())
    other = await service.register_user(register_user())

    with pytest.raises(NotAccountOwnerError):
        await service.update_user(other, owner.id, UpdateUser(username="stolen"))
    with pytest.raises(NotAccountOwnerError):
        await service.delete_user(other, owner.id)
    assert await service.get_user(owner.id) == owner


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (UpdateUser(email="bad"), InvalidEmailError),
        (UpdateUser(username="x"), InvalidUsernameError),
        (UpdateUser(password="short"), InvalidPasswordError),
    ],
)
async def test_changes_follow_the_registration_rules(
    service: UserService, command: UpdateUser, error: type[Exception]
) -> None:
    user = await service.register_user(register_user())

    with pytest.raises(error):
        await service.update_user(user, user.id, command)
    assert await service.get_user(user.id) == user


async def test_a_change_to_a_taken_username_conflicts(service: UserService) -> None:
    await service.register_user(register_user(username="taken"))
    user = await service.register_user(register_user())

    with pytest.raises(UsernameAlreadyTakenError):
        await service.update_user(user, user.id, UpdateUser(username="TAKEN"))


async def test_deleting_ones_account(service: UserService, uow: InMemoryUnitOfWork) -> None:
    user = await service.register_user(register_user())

    await service.delete_user(user, user.id)

    assert uow.store.users == {}
    with pytest.raises(UserNotFoundError):
        await service.delete_user(user, user.id)


@pytest.mark.parametrize("password", ["password123", "qwerty123456", "P@ssw0rd!", "Summer2024!"])
async def test_a_common_password_is_refused_at_registration(
    service: UserService, uow: InMemoryUnitOfWork, password: str
) -> None:
    with pytest.raises(WeakPasswordError, match="Password is too easy to guess"):
        await service.register_user(register_user(password=password))
    assert uow.store.users == {}


async def test_a_password_made_of_the_username_is_refused(service: UserService) -> None:
    with pytest.raises(WeakPasswordError):
        await service.register_user(
            register_user(username="grace.hopper", password="grace.hopper1")
        )


async def test_a_common_new_password_is_refused(service: UserService) -> None:
    password = "correct horse battery"
    user = await service.register_user(register_user(password=password))

    with pytest.raises(WeakPasswordError):
        await service.update_user(
            user, user.id, UpdateUser(password="iloveyou2024", current_password=password)
        )
    assert await service.get_user(user.id) == user


@pytest.mark.parametrize(
    "command",
    [UpdateUser(email="new@example.com"), UpdateUser(password="violet-kettle-53")],
    ids=["email", "password"],
)
async def test_credentials_change_only_with_the_current_password(
    service: UserService, command: UpdateUser
) -> None:
    user = await service.register_user(register_user(password="correct horse battery"))

    with pytest.raises(CurrentPasswordRequiredError):
        await service.update_user(user, user.id, command)
    with pytest.raises(WrongCurrentPasswordError):
        await service.update_user(
            user, user.id, dataclasses.replace(command, current_password="not the password")
        )
    assert await service.get_user(user.id) == user


async def test_a_username_changes_without_the_current_password(service: UserService) -> None:
    user = await service.register_user(register_user())

    updated = await service.update_user(user, user.id, UpdateUser(username="renamed"))

    assert updated.username == "renamed"
