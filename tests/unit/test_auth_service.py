"""Logging in and recognising callers, on the in-memory adapter."""

from datetime import timedelta

import pytest

from application.auth import AuthService, InvalidCredentialsError, InvalidTokenError
from application.ports import PasswordHasher
from application.users import RegisterUser, UserService
from domain.users import User
from infrastructure.memory import InMemoryUnitOfWork
from infrastructure.security.passwords import Argon2PasswordHasher
from infrastructure.security.tokens import JwtTokenIssuer
from tests.conftest import PASSWORD_STRENGTH

tokens = JwtTokenIssuer(secret="s" * 40, algorithm="HS256", lifetime=timedelta(minutes=30))


class CountingHasher:
    """The real hasher, counting the dummy verifications (a spy, not a mock)."""

    def __init__(self, inner: PasswordHasher) -> None:
        self._inner = inner
        self.dummy_verifications = 0

    async def hash(self, password: str) -> str:
        return await self._inner.hash(password)

    async def verify(self, password: str, password_hash: str) -> bool:
        return await self._inner.verify(password, password_hash)

    async def verify_and_update(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        return await self._inner.verify_and_update(password, password_hash)

    async def verify_dummy(self, password: str) -> None:
        self.dummy_verifications += 1
        await self._inner.verify_dummy(password)


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
def hasher(password_hasher: PasswordHasher) -> CountingHasher:
    return CountingHasher(password_hasher)


@pytest.fixture
def auth(uow: InMemoryUnitOfWork, hasher: CountingHasher) -> AuthService:
    return AuthService(uow, hasher, tokens)


@pytest.fixture
async def ada(uow: InMemoryUnitOfWork, hasher: CountingHasher) -> User:
    return await UserService(uow, hasher, PASSWORD_STRENGTH).register_user(
        RegisterUser(email="ada@example.com", username="Ada", password="correct horse")
    )


@pytest.mark.parametrize("login", ["Ada", "ada", "ada@example.com", "ADA@Example.com"])
async def test_login_by_username_or_email_in_any_case(
    auth: AuthService, ada: User, login: str
) -> None:
    token = await auth.login(login=login, password="correct horse")

    assert token.expires_in == 1800
    assert tokens.user_id_of(token.token) == ada.id
    assert await auth.authenticate(token.token) == ada


@pytest.mark.parametrize(
    ("login", "password", "dummy"),
    [
        ("Ada", "wrong horse", 0),
        ("nobody", "correct horse", 1),
        ("nobody@example.com", "correct horse", 1),
        ("not a valid name\x00", "correct horse", 1),
    ],
)
async def test_wrong_password_and_unknown_user_fail_alike(
    auth: AuthService, hasher: CountingHasher, ada: User, login: str, password: str, dummy: int
) -> None:
    with pytest.raises(InvalidCredentialsError, match="Incorrect username or password"):
        await auth.login(login=login, password=password)
    assert hasher.dummy_verifications == dummy, "an unknown user still costs a verification"


async def test_a_hash_with_outdated_parameters_is_replaced_at_login(
    uow: InMemoryUnitOfWork, auth: AuthService, ada: User
) -> None:
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    upgraded_auth = AuthService(uow, stronger, tokens)

    await upgraded_auth.login(login="Ada", password="correct horse")

    stored = uow.store.users[ada.id]
    assert stored.password_hash != ada.password_hash
    assert "m=2048,t=2,p=1" in stored.password_hash
    assert stored.updated_at == ada.updated_at, "a re-hash is not a change a client sees"
    await upgraded_auth.login(login="Ada", password="correct horse")
    await auth.login(login="Ada", password="correct horse")


async def test_a_rehash_does_not_overwrite_a_password_changed_meanwhile(
    uow: InMemoryUnitOfWork, ada: User
) -> None:
    async with uow.write() as tx:
        replaced = await tx.users.replace_password_hash(ada.id, old="stale", new="new")
        await tx.commit()

    assert not replaced
    assert uow.store.users[ada.id].password_hash == ada.password_hash


async def test_a_token_of_a_deleted_user_is_not_valid(
    uow: InMemoryUnitOfWork, auth: AuthService, hasher: CountingHasher, ada: User
) -> None:
    token = await auth.login(login="Ada", password="correct horse")
    await UserService(uow, hasher, PASSWORD_STRENGTH).delete_user(ada, ada.id)

    with pytest.raises(InvalidTokenError):
        await auth.authenticate(token.token)


async def test_the_callers_id_is_checked_as_a_token_but_the_account_is_not_read(
    uow: InMemoryUnitOfWork, auth: AuthService, hasher: CountingHasher, ada: User
) -> None:
    """`caller_id` leaves the account to the use case's own statement (a post's INSERT)."""
    token = await auth.login(login="Ada", password="correct horse")
    expired = JwtTokenIssuer(
        secret="s" * 40, algorithm="HS256", lifetime=timedelta(minutes=-1)
    ).issue(ada.id)
    foreign = JwtTokenIssuer(
        secret="t" * 40, algorithm="HS256", lifetime=timedelta(minutes=30)
    ).issue(ada.id)
    await UserService(uow, hasher, PASSWORD_STRENGTH).delete_user(ada, ada.id)

    assert auth.caller_id(token.token) == ada.id
    for refused in (expired.token, foreign.token, token.token[:-2], "not a token"):
        with pytest.raises(InvalidTokenError):
            auth.caller_id(refused)
