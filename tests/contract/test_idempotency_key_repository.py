"""One contract for every IdempotencyKeyRepository: run on the in-memory adapter and on PostgreSQL.

The claims are what keep two requests with one key from both creating, in
any process: they must answer at once (a request in flight is a 409 now, not
after waiting for it), hold until the transaction ends, and only probe in a
`read()` block. A claim that waited would hang these tests, as the
transaction it waited for is the test's own.

A record is deleted with the user or the post it created, as a foreign key
with ON DELETE CASCADE would: it holds a copy of them.
"""

from collections.abc import Callable
from datetime import timedelta

import pytest

from application.unit_of_work import UnitOfWork
from domain.idempotency import (
    CreatedResource,
    IdempotencyKeyInUseError,
    IdempotencyRecord,
    NewIdempotencyRecord,
)
from tests.support.factories import new_idempotency_record, new_post, new_user

UowFactory = Callable[[], UnitOfWork]
EXPIRED = timedelta(0)


@pytest.fixture(autouse=True)
async def user_1(uow_factory: UowFactory) -> None:
    """The user the factory's records say they created: PostgreSQL's foreign key wants it."""
    async with uow_factory().write() as uow:
        user = await uow.users.add(new_user())
        await uow.commit()
    assert user.id == 1


async def _stored(uow_factory: UowFactory, record: NewIdempotencyRecord) -> IdempotencyRecord:
    async with uow_factory().write() as uow:
        stored = await uow.idempotency_keys.add(record)
        await uow.commit()
    return stored


async def _found(uow_factory: UowFactory, scope: str, key: str) -> IdempotencyRecord | None:
    async with uow_factory().write() as uow:
        return await uow.idempotency_keys.get(scope, key)


async def test_a_stored_key_comes_back_whole(uow_factory: UowFactory) -> None:
    draft = new_idempotency_record(lifetime=timedelta(hours=5))

    stored = await _stored(uow_factory, draft)

    assert (stored.scope, stored.key, stored.fingerprint) == (
        draft.scope,
        draft.key,
        draft.fingerprint,
    )
    assert stored.response == draft.response
    assert stored.created == draft.created == CreatedResource("user", 1)
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.expires_at - stored.created_at == timedelta(hours=5)
    assert await _found(uow_factory, draft.scope, draft.key) == stored


async def test_a_key_belongs_to_its_scope(uow_factory: UowFactory) -> None:
    mine = await _stored(uow_factory, new_idempotency_record(scope="user:1", key="shared"))
    theirs = await _stored(uow_factory, new_idempotency_record(scope="user:2", key="shared"))

    assert await _found(uow_factory, "user:1", "shared") == mine
    assert await _found(uow_factory, "user:2", "shared") == theirs
    assert await _found(uow_factory, "user:3", "shared") is None
    assert await _found(uow_factory, "user:1", "other") is None


async def test_an_expired_key_is_not_found_and_can_be_stored_again(
    uow_factory: UowFactory,
) -> None:
    old = new_idempotency_record(lifetime=EXPIRED)
    await _stored(uow_factory, old)

    assert await _found(uow_factory, old.scope, old.key) is None
    renewed = await _stored(
        uow_factory, new_idempotency_record(scope=old.scope, key=old.key, fingerprint="new")
    )
    assert await _found(uow_factory, old.scope, old.key) == renewed
    assert renewed.fingerprint == "new"


async def test_storing_a_live_key_again_is_refused_and_the_transaction_goes_on(
    uow_factory: UowFactory,
) -> None:
    first = await _stored(uow_factory, new_idempotency_record())

    async with uow_factory().write() as uow:
        with pytest.raises(IdempotencyKeyInUseError):
            await uow.idempotency_keys.add(
                new_idempotency_record(scope=first.scope, key=first.key, fingerprint="other")
            )
        user = await uow.users.add(new_user())
        await uow.commit()

    assert await _found(uow_factory, first.scope, first.key) == first
    async with uow_factory().write() as uow:
        assert await uow.users.get(user.id) == user


async def test_a_key_is_stored_only_on_commit(uow_factory: UowFactory) -> None:
    draft = new_idempotency_record()

    async with uow_factory().write() as uow:
        await uow.idempotency_keys.add(draft)
        assert await uow.idempotency_keys.get(draft.scope, draft.key) is not None
        assert await _found(uow_factory, draft.scope, draft.key) is None, "not before commit"

    assert await _found(uow_factory, draft.scope, draft.key) is None


async def test_a_claim_holds_off_other_transactions_until_it_ends(
    uow_factory: UowFactory,
) -> None:
    async with uow_factory().write() as first:
        assert await first.idempotency_keys.claim("user:1", "k")
        assert await first.idempotency_keys.claim("user:1", "k"), "again, by its holder"

        async with uow_factory().write() as second:
            assert not await second.idempotency_keys.claim("user:1", "k")
            assert await second.idempotency_keys.claim("user:2", "k"), "other scope"
            assert await second.idempotency_keys.claim("user:1", "k2"), "other key"

        await first.commit()
        async with uow_factory().write() as third:
            assert await third.idempotency_keys.claim("user:1", "k"), "free on commit"
        async with uow_factory().write() as fourth:
            assert await fourth.idempotency_keys.claim("user:1", "k"), "free on rollback"


async def test_a_claim_in_a_read_only_unit_of_work_only_probes(uow_factory: UowFactory) -> None:
    async with uow_factory().read() as reader:
        assert await reader.idempotency_keys.claim("user:1", "k")
        async with uow_factory().write() as writer:
            assert await writer.idempotency_keys.claim("user:1", "k"), "the probe holds nothing"
            async with uow_factory().read() as other_reader:
                assert not await other_reader.idempotency_keys.claim("user:1", "k")


async def test_purge_deletes_the_expired_keys_only(uow_factory: UowFactory) -> None:
    expired = [
        await _stored(uow_factory, new_idempotency_record(lifetime=EXPIRED)) for _ in range(2)
    ]
    live = await _stored(uow_factory, new_idempotency_record())

    async with uow_factory().write() as uow:
        assert await uow.idempotency_keys.purge_expired() == 2
        await uow.commit()
    async with uow_factory().write() as uow:
        assert await uow.idempotency_keys.purge_expired() == 0

    assert await _found(uow_factory, live.scope, live.key) == live
    renewed = await _stored(
        uow_factory, new_idempotency_record(scope=expired[0].scope, key=expired[0].key)
    )
    assert await _found(uow_factory, renewed.scope, renewed.key) == renewed


async def test_a_purge_that_is_rolled_back_deletes_nothing(uow_factory: UowFactory) -> None:
    await _stored(uow_factory, new_idempotency_record(lifetime=EXPIRED))

    async with uow_factory().write() as uow:
        assert await uow.idempotency_keys.purge_expired() == 1
    async with uow_factory().write() as uow:
        assert await uow.idempotency_keys.purge_expired() == 1
        await uow.commit()


async def _user_with_a_post(
    uow_factory: UowFactory,
) -> tuple[IdempotencyRecord, IdempotencyRecord]:
    """A registration's record and a post's, as the use cases store them: one transaction each."""
    async with uow_factory().write() as uow:
        user = await uow.users.add(new_user())
        registered = await uow.idempotency_keys.add(
            new_idempotency_record(
                scope=f"registration:{user.email}", created=CreatedResource("user", user.id)
            )
        )
        await uow.commit()
    async with uow_factory().write() as uow:
        authored = await uow.posts.add(new_post(author_id=user.id))
        published = await uow.idempotency_keys.add(
            new_idempotency_record(
                scope=f"user:{user.id}", created=CreatedResource("post", authored.post.id)
            )
        )
        await uow.commit()
    return registered, published


async def _all_found(uow_factory: UowFactory, *records: IdempotencyRecord) -> list[bool]:
    return [await _found(uow_factory, r.scope, r.key) is not None for r in records]


async def test_deleting_a_user_deletes_the_records_of_their_registration_and_posts(
    uow_factory: UowFactory,
) -> None:
    registered, published = await _user_with_a_post(uow_factory)
    others = await _user_with_a_post(uow_factory)

    async with uow_factory().write() as uow:
        assert await uow.users.delete(registered.created.id)
        assert await uow.idempotency_keys.get(registered.scope, registered.key) is None
        assert await uow.idempotency_keys.get(published.scope, published.key) is None
        assert await _all_found(uow_factory, registered, published) == [True, True], "not yet"
        await uow.commit()

    assert await _all_found(uow_factory, registered, published) == [False, False]
    assert await _all_found(uow_factory, *others) == [True, True]


async def test_deleting_a_post_deletes_the_record_of_its_create_only(
    uow_factory: UowFactory,
) -> None:
    registered, published = await _user_with_a_post(uow_factory)

    async with uow_factory().write() as uow:
        assert await uow.posts.delete(published.created.id)
        await uow.commit()

    assert await _all_found(uow_factory, registered, published) == [True, False]


async def test_a_deletion_rolled_back_keeps_the_records(uow_factory: UowFactory) -> None:
    registered, published = await _user_with_a_post(uow_factory)

    async with uow_factory().write() as uow:
        assert await uow.users.delete(registered.created.id)

    assert await _all_found(uow_factory, registered, published) == [True, True]
