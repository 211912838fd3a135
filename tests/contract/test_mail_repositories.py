"""One contract for every MailTokenRepository and OutboxRepository (and the user columns mail
adds): run on the in-memory adapter and on PostgreSQL."""

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from itertools import count
from uuid import UUID, uuid4

import pytest

from application.unit_of_work import UnitOfWork
from domain.mail import MailKind, NewMail, NewMailToken, OutgoingMail, TokenPurpose
from domain.users import EmailAlreadyRegisteredError, User
from tests.support.factories import new_post, new_user

UowFactory = Callable[[], UnitOfWork]
_digests = count(1)
LEASE = timedelta(minutes=5)


def digest() -> bytes:
    return hashlib.sha256(f"mail-token-{next(_digests)}".encode()).digest()


async def _user(uow_factory: UowFactory) -> User:
    async with uow_factory().write() as tx:
        user = await tx.users.add(new_user())
        await tx.commit()
    return user


def _token(
    user: User,
    secret: bytes,
    *,
    purpose: TokenPurpose = TokenPurpose.VERIFY_EMAIL,
    lifetime: timedelta = timedelta(hours=1),
) -> NewMailToken:
    return NewMailToken(
        id=uuid4(),
        digest=secret,
        user_id=user.id,
        purpose=purpose,
        email=user.email,
        lifetime=lifetime,
    )


async def _issue(uow_factory: UowFactory, token: NewMailToken) -> None:
    async with uow_factory().write() as tx:
        assert await tx.mail_tokens.issue(token)
        await tx.commit()


async def _spend(uow_factory: UowFactory, secret: bytes, purpose: TokenPurpose) -> UUID | None:
    async with uow_factory().write() as tx:
        spent = await tx.mail_tokens.spend(secret, purpose)
        await tx.commit()
    return None if spent is None else spent.id


def _mail(user: User, *, kind: MailKind = MailKind.VERIFY_EMAIL) -> NewMail:
    return NewMail(
        id=uuid4(),
        user_id=user.id,
        kind=kind,
        recipient=user.email,
        username=user.username,
        token_id=uuid4(),
        valid_for=timedelta(hours=24),
    )


async def _owe(uow_factory: UowFactory, *mails: NewMail) -> None:
    async with uow_factory().write() as tx:
        for mail in mails:
            assert await tx.outbox.add(mail)
        await tx.commit()


async def _claim(
    uow_factory: UowFactory, *, limit: int = 10, lease: timedelta = LEASE
) -> list[OutgoingMail]:
    async with uow_factory().write() as tx:
        claimed = await tx.outbox.claim(limit=limit, lease=lease)
        await tx.commit()
    return list(claimed)


# The tokens


async def test_an_issued_token_is_found_and_spent_once(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    secret = digest()
    token = _token(user, secret)
    await _issue(uow_factory, token)

    async with uow_factory().read() as repos:
        found = await repos.mail_tokens.find(secret, TokenPurpose.VERIFY_EMAIL)
    assert found is not None
    assert (found.id, found.user_id, found.email, found.used_at) == (
        token.id,
        user.id,
        user.email,
        None,
    )
    assert found.expires_at - found.created_at == timedelta(hours=1)

    assert await _spend(uow_factory, secret, TokenPurpose.VERIFY_EMAIL) == token.id
    assert await _spend(uow_factory, secret, TokenPurpose.VERIFY_EMAIL) is None
    async with uow_factory().read() as repos:
        assert await repos.mail_tokens.find(secret, TokenPurpose.VERIFY_EMAIL) is None


async def test_a_token_serves_only_its_own_purpose(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    secret = digest()
    await _issue(uow_factory, _token(user, secret, purpose=TokenPurpose.RESET_PASSWORD))

    assert await _spend(uow_factory, secret, TokenPurpose.VERIFY_EMAIL) is None
    assert await _spend(uow_factory, secret, TokenPurpose.RESET_PASSWORD) is not None


async def test_an_expired_token_is_neither_found_nor_spent(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    secret = digest()
    await _issue(uow_factory, _token(user, secret, lifetime=timedelta(0)))

    async with uow_factory().read() as repos:
        assert await repos.mail_tokens.find(secret, TokenPurpose.VERIFY_EMAIL) is None
    assert await _spend(uow_factory, secret, TokenPurpose.VERIFY_EMAIL) is None


async def test_of_concurrent_spends_of_one_token_exactly_one_succeeds(
    uow_factory: UowFactory,
) -> None:
    user = await _user(uow_factory)
    secret = digest()
    await _issue(uow_factory, _token(user, secret))

    spent = await asyncio.gather(
        *(_spend(uow_factory, secret, TokenPurpose.VERIFY_EMAIL) for _ in range(5))
    )

    assert len([result for result in spent if result is not None]) == 1


async def test_a_spend_rolled_back_leaves_the_token_live(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    secret = digest()
    await _issue(uow_factory, _token(user, secret))

    async with uow_factory().write() as tx:
        assert await tx.mail_tokens.spend(secret, TokenPurpose.VERIFY_EMAIL) is not None

    assert await _spend(uow_factory, secret, TokenPurpose.VERIFY_EMAIL) is not None


async def test_spend_all_spends_the_accounts_live_tokens_of_one_purpose(
    uow_factory: UowFactory,
) -> None:
    user, other = await _user(uow_factory), await _user(uow_factory)
    resets = [digest(), digest()]
    verification, others = digest(), digest()
    for secret in resets:
        await _issue(uow_factory, _token(user, secret, purpose=TokenPurpose.RESET_PASSWORD))
    await _issue(uow_factory, _token(user, verification))
    await _issue(uow_factory, _token(other, others, purpose=TokenPurpose.RESET_PASSWORD))

    async with uow_factory().write() as tx:
        assert await tx.mail_tokens.spend_all(user.id, TokenPurpose.RESET_PASSWORD) == 2
        await tx.commit()

    for secret in resets:
        assert await _spend(uow_factory, secret, TokenPurpose.RESET_PASSWORD) is None
    assert await _spend(uow_factory, verification, TokenPurpose.VERIFY_EMAIL) is not None
    assert await _spend(uow_factory, others, TokenPurpose.RESET_PASSWORD) is not None


async def test_a_token_for_an_account_that_is_gone_is_not_issued(
    uow_factory: UowFactory,
) -> None:
    user = await _user(uow_factory)
    async with uow_factory().write() as tx:
        await tx.users.delete(user.id)
        await tx.commit()

    async with uow_factory().write() as tx:
        assert not await tx.mail_tokens.issue(_token(user, digest()))
        assert not await tx.outbox.add(_mail(user))
        await tx.commit()


async def test_purge_deletes_spent_and_expired_tokens_only(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    live, spent, expired = digest(), digest(), digest()
    await _issue(uow_factory, _token(user, live))
    await _issue(uow_factory, _token(user, spent))
    await _issue(uow_factory, _token(user, expired, lifetime=timedelta(0)))
    await _spend(uow_factory, spent, TokenPurpose.VERIFY_EMAIL)

    async with uow_factory().write() as tx:
        assert await tx.mail_tokens.purge_ended() == 2
        await tx.commit()

    assert await _spend(uow_factory, live, TokenPurpose.VERIFY_EMAIL) is not None


# The outbox


async def test_a_claim_takes_due_mail_oldest_first_and_counts_the_attempt(
    uow_factory: UowFactory,
) -> None:
    user = await _user(uow_factory)
    first, second = _mail(user), _mail(user, kind=MailKind.RESET_PASSWORD)
    await _owe(uow_factory, first)
    await _owe(uow_factory, second)

    claimed = await _claim(uow_factory)

    assert [mail.id for mail in claimed] == [first.id, second.id]
    assert [mail.attempts for mail in claimed] == [1, 1]
    assert claimed[0].kind is MailKind.VERIFY_EMAIL
    assert (claimed[0].recipient, claimed[0].username) == (user.email, user.username)
    assert (claimed[0].token_id, claimed[0].valid_for) == (first.token_id, first.valid_for)
    assert claimed[0].last_error == ""


async def test_a_claimed_mail_is_not_due_again_until_its_lease_ends(
    uow_factory: UowFactory,
) -> None:
    user = await _user(uow_factory)
    leased, expiring = _mail(user), _mail(user)
    await _owe(uow_factory, leased)
    assert [mail.id for mail in await _claim(uow_factory, limit=1)] == [leased.id]
    await _owe(uow_factory, expiring)
    assert [mail.id for mail in await _claim(uow_factory, lease=timedelta(0))] == [expiring.id]

    again = await _claim(uow_factory)

    assert [(mail.id, mail.attempts) for mail in again] == [(expiring.id, 2)]


async def test_the_limit_bounds_a_claim(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    await _owe(uow_factory, *(_mail(user) for _ in range(3)))

    assert len(await _claim(uow_factory, limit=2)) == 2
    assert len(await _claim(uow_factory, limit=2)) == 1


async def test_two_claims_at_once_never_take_the_same_mail(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    mails = [_mail(user) for _ in range(6)]
    await _owe(uow_factory, *mails)
    holding = uow_factory().write()
    tx = await holding.__aenter__()
    try:
        held = await tx.outbox.claim(limit=3, lease=LEASE)
        others = await asyncio.wait_for(_claim(uow_factory), timeout=5)
    finally:
        await holding.__aexit__(None, None, None)

    assert len(held) == 3
    assert {mail.id for mail in others} == {mail.id for mail in mails} - {m.id for m in held}


async def test_sent_and_given_up_mail_is_due_no_more(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    sent, failed = _mail(user), _mail(user)
    await _owe(uow_factory, sent, failed)
    await _claim(uow_factory, lease=timedelta(0))

    async with uow_factory().write() as tx:
        await tx.outbox.sent(sent.id)
        await tx.outbox.give_up(failed.id, error="550 no such mailbox")
        await tx.commit()

    assert await _claim(uow_factory, lease=timedelta(0)) == []


async def test_a_retry_keeps_the_error_and_waits_its_time(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    soon, later = _mail(user), _mail(user)
    await _owe(uow_factory, soon, later)
    await _claim(uow_factory)

    async with uow_factory().write() as tx:
        await tx.outbox.retry(soon.id, after=timedelta(0), error="421 try later")
        await tx.outbox.retry(later.id, after=timedelta(hours=1), error="timed out")
        await tx.commit()
    again = await _claim(uow_factory)

    assert [(mail.id, mail.attempts, mail.last_error) for mail in again] == [
        (soon.id, 2, "421 try later")
    ]


async def test_a_retry_that_waited_for_a_claim_keeps_the_attempt_it_counted(
    uow_factory: UowFactory,
) -> None:
    user = await _user(uow_factory)
    mail = _mail(user)
    await _owe(uow_factory, mail)
    claiming = uow_factory().write()
    tx = await claiming.__aenter__()
    try:
        assert [m.attempts for m in await tx.outbox.claim(limit=1, lease=timedelta(0))] == [1]

        async def retry() -> None:
            async with uow_factory().write() as other:
                await other.outbox.retry(mail.id, after=timedelta(0), error="421 later")
                await other.commit()

        waiting = asyncio.create_task(retry())
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await tx.commit()
    finally:
        await claiming.__aexit__(None, None, None)
    await asyncio.wait_for(waiting, timeout=5)

    assert [(m.attempts, m.last_error) for m in await _claim(uow_factory)] == [(2, "421 later")]


async def test_a_retry_does_not_bring_back_mail_given_up(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    mail = _mail(user)
    await _owe(uow_factory, mail)
    await _claim(uow_factory, lease=timedelta(0))
    async with uow_factory().write() as tx:
        await tx.outbox.give_up(mail.id, error="550 no such mailbox")
        await tx.commit()

    async with uow_factory().write() as tx:
        await tx.outbox.retry(mail.id, after=timedelta(0), error="421 later")
        await tx.commit()

    assert await _claim(uow_factory) == []


async def test_a_claim_rolled_back_leaves_the_mail_due(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    mail = _mail(user)
    await _owe(uow_factory, mail)

    async with uow_factory().write() as tx:
        assert len(await tx.outbox.claim(limit=10, lease=LEASE)) == 1

    assert [(m.id, m.attempts) for m in await _claim(uow_factory)] == [(mail.id, 1)]


async def test_mail_owed_in_a_rolled_back_transaction_is_never_due(
    uow_factory: UowFactory,
) -> None:
    user = await _user(uow_factory)
    async with uow_factory().write() as tx:
        assert await tx.outbox.add(_mail(user))

    assert await _claim(uow_factory) == []


async def test_purge_deletes_mail_ended_longer_ago_than_asked(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)
    sent, failed, owed = _mail(user), _mail(user), _mail(user)
    await _owe(uow_factory, sent, failed, owed)
    async with uow_factory().write() as tx:
        await tx.outbox.sent(sent.id)
        await tx.outbox.give_up(failed.id, error="550")
        await tx.commit()

    async with uow_factory().write() as tx:
        assert await tx.outbox.purge_ended(older_than=timedelta(days=7)) == 0
        await tx.commit()
    await asyncio.sleep(0.01)
    async with uow_factory().write() as tx:
        assert await tx.outbox.purge_ended(older_than=timedelta(0)) == 2
        await tx.commit()

    assert [mail.id for mail in await _claim(uow_factory)] == [owed.id]


async def test_deleting_the_account_deletes_its_tokens_and_its_mail(
    uow_factory: UowFactory,
) -> None:
    user, other = await _user(uow_factory), await _user(uow_factory)
    secret = digest()
    await _issue(uow_factory, _token(user, secret))
    await _owe(uow_factory, _mail(user), _mail(other))
    async with uow_factory().write() as tx:
        await tx.posts.add(new_post(author_id=user.id))
        assert await tx.users.delete(user.id)
        await tx.commit()

    assert await _spend(uow_factory, secret, TokenPurpose.VERIFY_EMAIL) is None
    assert [mail.user_id for mail in await _claim(uow_factory)] == [other.id]


# The columns of users that mail adds


async def test_a_new_account_is_unverified_and_moving_nowhere(uow_factory: UowFactory) -> None:
    user = await _user(uow_factory)

    assert (user.email_verified, user.pending_email) == (False, None)


async def test_update_stores_verification_and_the_pending_address(
    uow_factory: UowFactory,
) -> None:
    user = await _user(uow_factory)
    async with uow_factory().write() as tx:
        moving = await tx.users.update(user.moving_to("New.Address@Example.com"))
        await tx.commit()
    assert moving is not None
    assert (moving.email, moving.pending_email, moving.version) == (
        user.email,
        "new.address@example.com",
        user.version + 1,
    )

    proven = moving.proven("new.address@example.com")
    assert proven is not None
    async with uow_factory().write() as tx:
        moved = await tx.users.update(proven)
        await tx.commit()
    async with uow_factory().read() as repos:
        stored = await repos.users.get(user.id)

    assert moved == stored
    assert stored is not None
    assert (stored.email, stored.pending_email, stored.email_verified) == (
        "new.address@example.com",
        None,
        True,
    )


async def test_a_move_to_an_address_taken_meanwhile_is_refused(uow_factory: UowFactory) -> None:
    user, other = await _user(uow_factory), await _user(uow_factory)
    async with uow_factory().write() as tx:
        moving = await tx.users.update(user.moving_to(other.email.upper()))
        await tx.commit()
    assert moving is not None
    proven = moving.proven(other.email)
    assert proven is not None

    async with uow_factory().write() as tx:
        with pytest.raises(EmailAlreadyRegisteredError):
            await tx.users.update(replace(proven))
