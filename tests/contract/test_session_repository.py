"""One contract for every SessionRepository (and the session checks of users and posts):
run on the in-memory adapter and on PostgreSQL."""

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from uuid import UUID, uuid4

import pytest

from application.unit_of_work import UnitOfWork
from domain.sessions import NewSession, RevocationReason, Session
from domain.users import User, UserNotFoundError
from tests.support.factories import new_post, new_user

UowFactory = Callable[[], UnitOfWork]
_tokens = count(1)


def token() -> bytes:
    """A digest as the service stores one: 32 bytes, unique."""
    return hashlib.sha256(f"token-{next(_tokens)}".encode()).digest()


async def _user(uow_factory: UowFactory) -> User:
    async with uow_factory().write() as tx:
        user = await tx.users.add(new_user())
        await tx.commit()
    return user


def _draft(user: User, *, lifetime: timedelta = timedelta(days=30)) -> NewSession:
    return NewSession(
        id=uuid4(),
        user_id=user.id,
        lifetime=lifetime,
        user_agent="Agent/1.0",
        client_network="192.0.2.0/24",
    )


async def _start(
    uow_factory: UowFactory, user: User, refresh_token: bytes, **draft: timedelta
) -> Session:
    async with uow_factory().write() as tx:
        session = await tx.sessions.start(_draft(user, **draft), refresh_token=refresh_token)
        await tx.commit()
    assert session is not None
    return session


async def _rotate(uow_factory: UowFactory, spent: bytes, issued: bytes) -> Session | None:
    async with uow_factory().write() as tx:
        session = await tx.sessions.rotate(spent, issued=issued)
        await tx.commit()
    return session


async def test_start_stores_the_session_as_the_database_stamps_it(
    uow_factory: UowFactory,
) -> None:
    user = await _user(uow_factory)
    draft = _draft(user)

    async with uow_factory().write() as tx:
        session = await tx.sessions.start(draft, refresh_token=token())
        await tx.commit()

    assert session is not None
    assert (session.id, session.user_id) == (draft.id, user.id)
    assert (session.user_agent, session.client_network) == ("Agent/1.0", "192.0.2.0/24")
    assert session.created_at == session.last_used_at
    assert session.expires_at - session.created_at == timedelta(days=30)
    assert abs(session.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert (session.revoked_at, session.revoked_reason) == (None, None)
    async with uow_factory().read() as repos:
        assert await repos.sessions.get(session.id) == session


async def test_start_for_an_account_that_is_gone_stores_nothing(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    async with uow_factory().write() as tx:
        await tx.users.delete(user.id)
        await tx.commit()

    async with uow_factory().write() as tx:
        assert await tx.sessions.start(_draft(user), refresh_token=token()) is None
        await tx.commit()


async def test_rotate_spends_the_token_and_issues_the_next(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    first, second, third = token(), token(), token()
    started = await _start(uow_factory, user, first)

    rotated = await _rotate(uow_factory, first, second)

    assert rotated is not None
    assert rotated.id == started.id
    assert rotated.last_used_at >= started.last_used_at
    assert rotated.expires_at == started.expires_at, "a refresh does not extend the session"
    assert await _rotate(uow_factory, first, third) is None, "spent"
    assert await _rotate(uow_factory, second, third) is not None


async def test_rotate_of_an_unknown_token_changes_nothing(uow_factory: UowFactory) -> None:
    assert await _rotate(uow_factory, token(), token()) is None
    async with uow_factory().read() as repos:
        assert await repos.sessions.spent_in(token()) is None


async def test_a_spent_token_names_its_live_session(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    first, second = token(), token()
    session = await _start(uow_factory, user, first)
    await _rotate(uow_factory, first, second)

    async with uow_factory().read() as repos:
        assert await repos.sessions.spent_in(first) == session.id
        assert await repos.sessions.spent_in(second) is None, "not spent yet"


async def test_of_concurrent_rotations_of_one_token_exactly_one_succeeds(
    uow_factory: UowFactory,
) -> None:
    user = await _user(uow_factory)
    spent = token()
    await _start(uow_factory, user, spent)

    results = await asyncio.gather(*(_rotate(uow_factory, spent, token()) for _ in range(5)))

    assert sum(result is not None for result in results) == 1


async def test_a_rotation_rolled_back_leaves_the_token_unspent(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    spent = token()
    await _start(uow_factory, user, spent)

    async with uow_factory().write() as tx:
        assert await tx.sessions.rotate(spent, issued=token()) is not None

    assert await _rotate(uow_factory, spent, token()) is not None


async def test_revoke_ends_the_session_and_forgets_its_tokens(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    first, second = token(), token()
    session = await _start(uow_factory, user, first)
    await _rotate(uow_factory, first, second)

    async with uow_factory().write() as tx:
        assert await tx.sessions.revoke(session.id, reason=RevocationReason.LOGOUT)
        assert not await tx.sessions.revoke(session.id, reason=RevocationReason.LOGOUT)
        await tx.commit()

    async with uow_factory().read() as repos:
        revoked = await repos.sessions.get(session.id)
        assert revoked is not None
        assert revoked.revoked_reason is RevocationReason.LOGOUT
        assert revoked.revoked_at is not None
        assert await repos.sessions.spent_in(first) is None
        assert await repos.sessions.list_live(user.id) == []
    assert await _rotate(uow_factory, second, token()) is None


async def test_revoke_with_an_owner_only_ends_the_owners(uow_factory: UowFactory) -> None:
    owner, stranger = await _user(uow_factory), await _user(uow_factory)
    session = await _start(uow_factory, owner, token())

    async with uow_factory().write() as tx:
        reason = RevocationReason.REVOKED_BY_OWNER
        assert not await tx.sessions.revoke(session.id, reason=reason, user_id=stranger.id)
        assert not await tx.sessions.revoke(uuid4(), reason=reason, user_id=owner.id)
        assert await tx.sessions.revoke(session.id, reason=reason, user_id=owner.id)
        await tx.commit()


async def test_revoke_all_keeps_the_one_named_and_touches_no_other_account(
    uow_factory: UowFactory,
) -> None:
    user, other = await _user(uow_factory), await _user(uow_factory)
    kept, *ended = [await _start(uow_factory, user, token()) for _ in range(3)]
    theirs = await _start(uow_factory, other, token())

    async with uow_factory().write() as tx:
        reason = RevocationReason.PASSWORD_CHANGED
        assert await tx.sessions.revoke_all(user.id, reason=reason, keep=kept.id) == 2
        assert await tx.sessions.revoke_all(user.id, reason=reason, keep=kept.id) == 0
        await tx.commit()

    async with uow_factory().read() as repos:
        assert [s.id for s in await repos.sessions.list_live(user.id)] == [kept.id]
        assert [s.id for s in await repos.sessions.list_live(other.id)] == [theirs.id]
        for session in ended:
            stored = await repos.sessions.get(session.id)
            assert stored is not None
            assert stored.revoked_reason is RevocationReason.PASSWORD_CHANGED


async def test_revoke_all_without_one_to_keep_ends_them_all(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    for _ in range(2):
        await _start(uow_factory, user, token())

    async with uow_factory().write() as tx:
        assert await tx.sessions.revoke_all(user.id, reason=RevocationReason.LOGOUT) == 2
        await tx.commit()


async def test_the_live_list_comes_most_recently_used_first(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    tokens = [token() for _ in range(3)]
    older, newer, used = [await _start(uow_factory, user, t) for t in tokens]
    await asyncio.sleep(0.002)
    await _rotate(uow_factory, tokens[2], token())

    async with uow_factory().read() as repos:
        listed = [s.id for s in await repos.sessions.list_live(user.id)]

    assert listed == [used.id, newer.id, older.id]


async def test_an_expired_session_is_not_live_and_cannot_rotate(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    spent = token()
    session = await _start(uow_factory, user, spent, lifetime=timedelta(0))

    assert await _rotate(uow_factory, spent, token()) is None
    async with uow_factory().read() as repos:
        assert await repos.sessions.list_live(user.id) == []
        assert await repos.users.get_signed_in(user.id, session.id) is None


async def test_purge_deletes_ended_sessions_and_their_tokens(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    live_token, expired_token = token(), token()
    live = await _start(uow_factory, user, live_token)
    expired = await _start(uow_factory, user, expired_token, lifetime=timedelta(0))
    revoked = await _start(uow_factory, user, token())
    async with uow_factory().write() as tx:
        await tx.sessions.revoke(revoked.id, reason=RevocationReason.LOGOUT)
        await tx.commit()

    async with uow_factory().write() as tx:
        assert await tx.sessions.purge_ended() == 2
        await tx.commit()

    async with uow_factory().read() as repos:
        assert await repos.sessions.get(expired.id) is None
        assert await repos.sessions.get(revoked.id) is None
        assert await repos.sessions.get(live.id) is not None
    assert await _rotate(uow_factory, live_token, token()) is not None


async def test_deleting_the_account_deletes_its_sessions(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    spent = token()
    session = await _start(uow_factory, user, spent)

    async with uow_factory().write() as tx:
        assert await tx.users.delete(user.id)
        await tx.commit()

    async with uow_factory().read() as repos:
        assert await repos.sessions.get(session.id) is None
    assert await _rotate(uow_factory, spent, token()) is None


async def test_the_signed_in_user_is_found_through_a_live_session_of_theirs(
    uow_factory: UowFactory,
) -> None:
    user, other = await _user(uow_factory), await _user(uow_factory)
    session = await _start(uow_factory, user, token())

    async with uow_factory().read() as repos:
        assert await repos.users.get_signed_in(user.id, session.id) == user
        assert await repos.users.get_signed_in(other.id, session.id) is None
        assert await repos.users.get_signed_in(user.id, uuid4()) is None
    async with uow_factory().write() as tx:
        await tx.sessions.revoke(session.id, reason=RevocationReason.LOGOUT)
        await tx.commit()
    async with uow_factory().read() as repos:
        assert await repos.users.get_signed_in(user.id, session.id) is None


@pytest.mark.parametrize("which", ["live", "revoked", "someone-elses", "unknown"])
async def test_a_post_is_added_only_in_a_live_session_of_its_author(
    uow_factory: UowFactory, which: str
) -> None:
    author, other = await _user(uow_factory), await _user(uow_factory)
    session_id: UUID = {
        "live": (await _start(uow_factory, author, token())).id,
        "revoked": (await _start(uow_factory, author, token())).id,
        "someone-elses": (await _start(uow_factory, other, token())).id,
        "unknown": uuid4(),
    }[which]
    if which == "revoked":
        async with uow_factory().write() as tx:
            await tx.sessions.revoke(session_id, reason=RevocationReason.LOGOUT)
            await tx.commit()

    async with uow_factory().write() as tx:
        if which == "live":
            added = await tx.posts.add(new_post(author_id=author.id), session_id=session_id)
            assert added.author.id == author.id
        else:
            with pytest.raises(UserNotFoundError):
                await tx.posts.add(new_post(author_id=author.id), session_id=session_id)
        await tx.commit()

    async with uow_factory().read() as repos:
        listed = await repos.posts.list_authored(limit=10)
    assert len(listed) == (1 if which == "live" else 0)
