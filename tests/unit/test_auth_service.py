"""Logging in, refreshing, and recognising callers, on the in-memory adapter."""

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest

from application.auth import (
    AuthService,
    Client,
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    InvalidTokenError,
)
from application.ports import PasswordHasher
from application.sessions import SessionService
from application.users import RegisterUser, UpdateUser, UserService
from domain.sessions import Caller, RevocationReason, SessionNotFoundError
from domain.users import User
from infrastructure.memory import InMemoryUnitOfWork
from infrastructure.security.opaque_tokens import OpaqueTokens
from infrastructure.security.passwords import Argon2PasswordHasher
from infrastructure.security.tokens import JwtTokenIssuer
from tests.conftest import PASSWORD_STRENGTH

tokens = JwtTokenIssuer(secret="s" * 40, algorithm="HS256", lifetime=timedelta(minutes=30))
secrets = OpaqueTokens()
PASSWORD = "correct horse"


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
    return AuthService(uow, hasher, tokens, secrets)


@pytest.fixture
def sessions(uow: InMemoryUnitOfWork) -> SessionService:
    return SessionService(uow)


@pytest.fixture
async def ada(uow: InMemoryUnitOfWork, hasher: CountingHasher) -> User:
    return await UserService(uow, hasher, PASSWORD_STRENGTH).register_user(
        RegisterUser(email="ada@example.com", username="Ada", password=PASSWORD)
    )


@pytest.mark.parametrize("login", ["Ada", "ada", "ada@example.com", "ADA@Example.com"])
async def test_login_by_username_or_email_in_any_case(
    auth: AuthService, ada: User, login: str
) -> None:
    pair = await auth.login(login=login, password=PASSWORD)

    assert pair.access.expires_in == 1800
    assert pair.refresh_expires_in == 30 * 24 * 3600
    assert tokens.caller_of(pair.access.token).user_id == ada.id
    assert await auth.authenticate(pair.access.token) == ada


@pytest.mark.parametrize(
    ("login", "password", "dummy"),
    [
        ("Ada", "wrong horse", 0),
        ("nobody", PASSWORD, 1),
        ("nobody@example.com", PASSWORD, 1),
        ("not a valid name\x00", PASSWORD, 1),
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
    upgraded_auth = AuthService(uow, stronger, tokens, secrets)

    await upgraded_auth.login(login="Ada", password=PASSWORD)

    stored = uow.store.users[ada.id]
    assert stored.password_hash != ada.password_hash
    assert "m=2048,t=2,p=1" in stored.password_hash
    assert stored.updated_at == ada.updated_at, "a re-hash is not a change a client sees"
    await upgraded_auth.login(login="Ada", password=PASSWORD)
    await auth.login(login="Ada", password=PASSWORD)


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
    pair = await auth.login(login="Ada", password=PASSWORD)
    await UserService(uow, hasher, PASSWORD_STRENGTH).delete_user(ada, ada.id)

    with pytest.raises(InvalidTokenError):
        await auth.authenticate(pair.access.token)
    with pytest.raises(InvalidRefreshTokenError):
        await auth.refresh(pair.refresh_token)
    assert uow.store.sessions == {}
    assert uow.store.refresh_tokens == {}


async def test_the_caller_is_checked_as_a_token_but_nothing_is_read(
    uow: InMemoryUnitOfWork, auth: AuthService, hasher: CountingHasher, ada: User
) -> None:
    """`caller` leaves the account and session to the use case's own statement."""
    pair = await auth.login(login="Ada", password=PASSWORD)
    session_id = tokens.caller_of(pair.access.token).session_id
    assert session_id is not None
    expired = JwtTokenIssuer(
        secret="s" * 40, algorithm="HS256", lifetime=timedelta(minutes=-1)
    ).issue(user_id=ada.id, session_id=session_id)
    foreign = JwtTokenIssuer(
        secret="t" * 40, algorithm="HS256", lifetime=timedelta(minutes=30)
    ).issue(user_id=ada.id, session_id=session_id)
    await UserService(uow, hasher, PASSWORD_STRENGTH).delete_user(ada, ada.id)

    assert auth.caller(pair.access.token) == Caller(user_id=ada.id, session_id=session_id)
    for refused in (expired.token, foreign.token, pair.access.token[:-2], pair.refresh_token):
        with pytest.raises(InvalidTokenError):
            auth.caller(refused)


async def test_a_login_keeps_what_the_client_said_trimmed(
    uow: InMemoryUnitOfWork, auth: AuthService, ada: User
) -> None:
    agent = "Mozilla/5.0\r\nX-Injected: yes\t" + "x" * 400
    await auth.login(
        login="Ada", password=PASSWORD, client=Client(user_agent=agent, network="192.0.2.0/24")
    )

    (session,) = uow.store.sessions.values()
    assert session.user_agent.startswith("Mozilla/5.0 X-Injected: yes x")
    assert len(session.user_agent) == 256
    assert session.client_network == "192.0.2.0/24"
    assert session.expires_at - session.created_at == timedelta(days=30)


async def test_the_refresh_token_is_stored_only_as_a_digest(
    uow: InMemoryUnitOfWork, auth: AuthService, ada: User
) -> None:
    pair = await auth.login(login="Ada", password=PASSWORD)

    (digest,) = uow.store.refresh_tokens
    assert digest == secrets.digest(pair.refresh_token)
    assert pair.refresh_token.encode() not in digest


async def test_a_refresh_rotates_and_the_old_token_is_spent(auth: AuthService, ada: User) -> None:
    first = await auth.login(login="Ada", password=PASSWORD)

    second = await auth.refresh(first.refresh_token)

    assert second.refresh_token != first.refresh_token
    first_caller = tokens.caller_of(first.access.token)
    assert tokens.caller_of(second.access.token) == first_caller, "the same session"
    assert await auth.authenticate(second.access.token) == ada
    third = await auth.refresh(second.refresh_token)
    assert await auth.authenticate(third.access.token) == ada


async def test_a_spent_refresh_token_coming_back_revokes_the_whole_session(
    uow: InMemoryUnitOfWork, auth: AuthService, ada: User
) -> None:
    stolen = await auth.login(login="Ada", password=PASSWORD)
    owners = await auth.refresh(stolen.refresh_token)

    with pytest.raises(InvalidRefreshTokenError):
        await auth.refresh(stolen.refresh_token)
    elsewhere = await auth.login(login="Ada", password=PASSWORD)

    for token in (stolen.access.token, owners.access.token):
        with pytest.raises(InvalidTokenError):
            await auth.authenticate(token)
    with pytest.raises(InvalidRefreshTokenError):
        await auth.refresh(owners.refresh_token)
    assert await auth.authenticate(elsewhere.access.token) == ada, "other sessions go on"
    (session,) = (s for s in uow.store.sessions.values() if s.revoked_at is not None)
    assert session.id == tokens.caller_of(stolen.access.token).session_id
    assert session.revoked_reason is RevocationReason.REFRESH_TOKEN_REUSED


async def test_of_two_refreshes_with_one_token_at_once_exactly_one_gets_a_pair(
    auth: AuthService, ada: User
) -> None:
    pair = await auth.login(login="Ada", password=PASSWORD)

    results = await asyncio.gather(
        *(auth.refresh(pair.refresh_token) for _ in range(2)), return_exceptions=True
    )

    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert sum(isinstance(r, InvalidRefreshTokenError) for r in results) == 1


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "!" * 43, secrets.new().token], ids=repr)
async def test_unknown_refresh_tokens_fail_alike_and_change_nothing(
    uow: InMemoryUnitOfWork, auth: AuthService, ada: User, token: str
) -> None:
    pair = await auth.login(login="Ada", password=PASSWORD)
    before = dict(uow.store.refresh_tokens)

    with pytest.raises(InvalidRefreshTokenError, match="The refresh token is not valid"):
        await auth.refresh(token)

    assert uow.store.refresh_tokens == before
    assert await auth.authenticate(pair.access.token) == ada


async def test_an_expired_session_refreshes_no_more(
    uow: InMemoryUnitOfWork, hasher: CountingHasher, ada: User
) -> None:
    ended = AuthService(uow, hasher, tokens, secrets, session_lifetime=timedelta(0))
    pair = await ended.login(login="Ada", password=PASSWORD)

    with pytest.raises(InvalidRefreshTokenError):
        await ended.refresh(pair.refresh_token)
    with pytest.raises(InvalidTokenError):
        await ended.authenticate(pair.access.token)


async def test_logout_ends_the_session_at_once(
    auth: AuthService, sessions: SessionService, ada: User
) -> None:
    pair = await auth.login(login="Ada", password=PASSWORD)
    caller = auth.caller(pair.access.token)

    await sessions.logout(caller)

    with pytest.raises(InvalidTokenError):
        await auth.authenticate(pair.access.token)
    with pytest.raises(InvalidRefreshTokenError):
        await auth.refresh(pair.refresh_token)
    with pytest.raises(InvalidTokenError):
        await sessions.logout(caller)


async def test_a_session_is_listed_revoked_and_the_others_ended(
    auth: AuthService, sessions: SessionService, ada: User
) -> None:
    mine, phone, laptop = [await auth.login(login="Ada", password=PASSWORD) for _ in range(3)]
    caller = auth.caller(mine.access.token)
    phone_id = auth.caller(phone.access.token).session_id
    assert phone_id is not None

    assert len(await sessions.list_sessions(caller)) == 3
    await sessions.revoke_session(caller, phone_id)
    with pytest.raises(SessionNotFoundError):
        await sessions.revoke_session(caller, phone_id)
    with pytest.raises(SessionNotFoundError):
        await sessions.revoke_session(caller, uuid4())
    assert [s.id for s in await sessions.list_sessions(caller)] == [
        auth.caller(t.access.token).session_id for t in (laptop, mine)
    ], "the most recently used first"

    assert await sessions.revoke_other_sessions(caller) == 1
    (left,) = await sessions.list_sessions(caller)
    assert left.id == caller.session_id
    with pytest.raises(InvalidTokenError):
        await auth.authenticate(laptop.access.token)


async def test_someone_elses_session_cannot_be_revoked(
    uow: InMemoryUnitOfWork, auth: AuthService, sessions: SessionService, hasher: CountingHasher
) -> None:
    users = UserService(uow, hasher, PASSWORD_STRENGTH)
    for name in ("ada", "bob"):
        await users.register_user(
            RegisterUser(email=f"{name}@example.com", username=name, password=PASSWORD)
        )
    ada = auth.caller((await auth.login(login="ada", password=PASSWORD)).access.token)
    bobs = await auth.login(login="bob", password=PASSWORD)
    bob_session = auth.caller(bobs.access.token).session_id
    assert bob_session is not None

    with pytest.raises(SessionNotFoundError):
        await sessions.revoke_session(ada, bob_session)
    assert (await auth.authenticate(bobs.access.token)).username == "bob"


async def test_a_new_password_ends_every_other_session(
    uow: InMemoryUnitOfWork, auth: AuthService, hasher: CountingHasher, ada: User
) -> None:
    here, there = [await auth.login(login="Ada", password=PASSWORD) for _ in range(2)]
    caller = auth.caller(here.access.token)
    users = UserService(uow, hasher, PASSWORD_STRENGTH)

    await users.update_user(
        ada,
        ada.id,
        UpdateUser(password="a brand new passphrase", current_password=PASSWORD),
        keep_session=caller.session_id,
    )

    assert (await auth.authenticate(here.access.token)).id == ada.id
    with pytest.raises(InvalidTokenError):
        await auth.authenticate(there.access.token)
    with pytest.raises(InvalidRefreshTokenError):
        await auth.refresh(there.refresh_token)
    await auth.refresh(here.refresh_token)


async def test_a_new_username_ends_no_session(
    uow: InMemoryUnitOfWork, auth: AuthService, hasher: CountingHasher, ada: User
) -> None:
    there = await auth.login(login="Ada", password=PASSWORD)
    users = UserService(uow, hasher, PASSWORD_STRENGTH)

    await users.update_user(ada, ada.id, UpdateUser(username="countess"))

    assert (await auth.authenticate(there.access.token)).username == "countess"


async def test_the_purge_deletes_ended_sessions_only(
    uow: InMemoryUnitOfWork, auth: AuthService, sessions: SessionService, ada: User
) -> None:
    kept, ended = [await auth.login(login="Ada", password=PASSWORD) for _ in range(2)]
    await sessions.logout(auth.caller(ended.access.token))

    assert await sessions.purge_ended_sessions() == 1

    assert list(uow.store.sessions) == [auth.caller(kept.access.token).session_id]
    assert len(uow.store.refresh_tokens) == 1
    assert await auth.authenticate(kept.access.token) == ada
