"""One contract for every UserRepository: run on the in-memory adapter and on PostgreSQL.

If the in-memory adapter passes here, a team's service tests on it tell the
truth about production.
"""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.ports import PasswordHasher
from application.unit_of_work import UnitOfWork
from application.users import UserService
from domain.users import (
    EmailAlreadyRegisteredError,
    LastAdminError,
    Role,
    User,
    UsernameAlreadyTakenError,
)
from tests.conftest import PASSWORD_STRENGTH
from tests.support.factories import new_user

UowFactory = Callable[[], UnitOfWork]


async def _add_committed(uow_factory: UowFactory, **overrides: str) -> User:
    async with uow_factory().write() as uow:
        user = await uow.users.add(new_user(**overrides))
        await uow.commit()
    return user


async def test_add_assigns_an_id_and_timestamps(uow_factory: UowFactory) -> None:
    draft = new_user()
    async with uow_factory().write() as uow:
        user = await uow.users.add(draft)
        await uow.commit()

    assert user.id >= 1
    assert (user.email, user.username, user.password_hash) == (
        draft.email,
        draft.username,
        draft.password_hash,
    )
    assert user.created_at == user.updated_at
    assert user.created_at.utcoffset() == timedelta(0)
    assert abs(user.created_at - datetime.now(UTC)) < timedelta(minutes=1)


async def test_get_returns_what_was_stored(uow_factory: UowFactory) -> None:
    user = await _add_committed(uow_factory)

    async with uow_factory().write() as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.users.get(user.id + 1000) is None


async def test_ids_increase_and_a_failed_insert_leaves_a_gap(uow_factory: UowFactory) -> None:
    first = await _add_committed(uow_factory, email="first@example.com")
    with pytest.raises(EmailAlreadyRegisteredError):
        await _add_committed(uow_factory, email="first@example.com")
    second = await _add_committed(uow_factory)

    assert second.id == first.id + 2


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@Example.com"])
async def test_email_is_unique_regardless_of_case(uow_factory: UowFactory, email: str) -> None:
    await _add_committed(uow_factory, email="taken@example.com")

    with pytest.raises(EmailAlreadyRegisteredError):
        await _add_committed(uow_factory, email=email)


@pytest.mark.parametrize("username", ["Taken", "tAKEN"])
async def test_username_is_unique_regardless_of_case(
    uow_factory: UowFactory, username: str
) -> None:
    await _add_committed(uow_factory, username="Taken")

    with pytest.raises(UsernameAlreadyTakenError):
        await _add_committed(uow_factory, username=username)


async def test_lookups_by_email_and_username_ignore_case(uow_factory: UowFactory) -> None:
    user = await _add_committed(uow_factory, email="ada@example.com", username="Ada.L")

    async with uow_factory().write() as uow:
        assert await uow.users.get_by_email("ADA@example.com") == user
        assert await uow.users.get_by_username("ada.l") == user
        assert await uow.users.get_by_email("bob@example.com") is None
        assert await uow.users.get_by_username("bob") is None


async def test_list_is_ordered_by_id_and_paged(uow_factory: UowFactory) -> None:
    users = [await _add_committed(uow_factory) for _ in range(5)]

    async with uow_factory().write() as uow:
        assert list(await uow.users.list(skip=0, limit=100)) == users
        assert list(await uow.users.list(skip=2, limit=2)) == users[2:4]
        assert list(await uow.users.list(skip=5, limit=10)) == []


async def test_without_commit_nothing_is_kept(uow_factory: UowFactory) -> None:
    async with uow_factory().write() as uow:
        user = await uow.users.add(new_user())
        assert await uow.users.get(user.id) == user, "visible inside its own transaction"

    async with uow_factory().write() as uow:
        assert await uow.users.get(user.id) is None
        assert list(await uow.users.list(skip=0, limit=10)) == []


async def test_a_transaction_goes_on_after_a_commit_and_drops_the_rest(
    uow_factory: UowFactory,
) -> None:
    async with uow_factory().write() as uow:
        kept = await uow.users.add(new_user())
        await uow.commit()
        discarded = await uow.users.add(new_user())

    async with uow_factory().write() as uow:
        assert await uow.users.get(discarded.id) is None
        assert await uow.users.get(kept.id) == kept


async def test_an_exception_in_the_block_rolls_back(uow_factory: UowFactory) -> None:
    draft = new_user()

    async def add_then_fail() -> None:
        async with uow_factory().write() as uow:
            await uow.users.add(draft)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()

    async with uow_factory().write() as uow:
        assert await uow.users.get_by_email(draft.email) is None


async def test_a_unique_violation_leaves_the_transaction_usable(uow_factory: UowFactory) -> None:
    async with uow_factory().write() as uow:
        kept = await uow.users.add(new_user(email="one@example.com"))
        with pytest.raises(EmailAlreadyRegisteredError):
            await uow.users.add(new_user(email="one@example.com"))
        also_kept = await uow.users.add(new_user())
        await uow.commit()

    async with uow_factory().write() as uow:
        assert list(await uow.users.list(skip=0, limit=10)) == [kept, also_kept]


async def test_timestamps_are_those_of_the_transaction_start(uow_factory: UowFactory) -> None:
    async with uow_factory().write() as uow:
        first = await uow.users.add(new_user())
        await asyncio.sleep(0.01)
        second = await uow.users.add(new_user())
        await uow.commit()

    assert first.created_at == second.created_at


async def test_the_first_inserter_wins_a_race_for_an_email(uow_factory: UowFactory) -> None:
    """The second insert waits for the first transaction, then fails once it commits."""
    async with uow_factory().write() as first:
        await first.users.add(new_user(email="race@example.com"))

        async def second_registration() -> None:
            async with uow_factory().write() as second:
                await second.users.add(new_user(email="race@example.com"))
                await second.commit()

        racing = asyncio.create_task(second_registration())
        await asyncio.sleep(0.2)
        assert not racing.done(), "the second insert waits for the first transaction"
        await first.commit()

    with pytest.raises(EmailAlreadyRegisteredError):
        await racing


async def test_a_rolled_back_inserter_lets_the_waiting_one_through(
    uow_factory: UowFactory,
) -> None:
    async with uow_factory().write() as first:
        await first.users.add(new_user(username="contested"))

        async def second_registration() -> User:
            async with uow_factory().write() as second:
                user = await second.users.add(new_user(username="contested"))
                await second.commit()
            return user

        racing = asyncio.create_task(second_registration())
        await asyncio.sleep(0.2)
        # Leaving the block without a commit rolls back.

    winner = await racing
    async with uow_factory().write() as uow:
        assert await uow.users.get_by_username("contested") == winner


async def test_update_changes_the_fields_and_updated_at(uow_factory: UowFactory) -> None:
    user = await _add_committed(uow_factory, email="old@example.com", username="old")
    await asyncio.sleep(0.01)

    async with uow_factory().write() as uow:
        updated = await uow.users.update(
            user.changed(email="new@example.com", username="New", password_hash="other-hash")
        )
        await uow.commit()

    assert updated is not None
    assert (updated.email, updated.username, updated.password_hash) == (
        "new@example.com",
        "New",
        "other-hash",
    )
    assert updated.created_at == user.created_at
    assert updated.updated_at - user.updated_at >= timedelta(milliseconds=10)
    async with uow_factory().write() as uow:
        assert await uow.users.get(user.id) == updated
        assert await uow.users.get_by_email("old@example.com") is None


async def test_a_user_read_for_update_holds_other_writers_until_the_transaction_ends(
    uow_factory: UowFactory,
) -> None:
    user = await _add_committed(uow_factory, username="held")

    async with uow_factory().write() as reading:
        assert await reading.users.get(user.id, for_update=True) == user

        async def change() -> User | None:
            async with uow_factory().write() as changing:
                changed = await changing.users.update(user.changed(username="meanwhile"))
                await changing.commit()
            return changed

        racing = asyncio.create_task(change())
        await asyncio.sleep(0.2)
        assert not racing.done(), "the change waits for the transaction that read for update"
        await reading.commit()

    changed = await racing
    assert changed is not None
    assert changed.username == "meanwhile"


async def test_a_change_that_waited_for_the_row_is_stamped_after_the_one_before_it(
    uow_factory: UowFactory,
) -> None:
    """updated_at follows the order of the changes, not of the transactions' starts."""
    user = await _add_committed(uow_factory, username="stamped")

    async with uow_factory().write() as early:
        await early.users.get(user.id)  # begun: its now() is fixed from here
        await asyncio.sleep(0.01)
        async with uow_factory().write() as late:
            first = await late.users.update(user.changed(username="first"))
            await late.commit()
        second = await early.users.update(user.changed(username="second"))
        await early.commit()

    assert first is not None
    assert second is not None
    assert second.updated_at > first.updated_at


async def test_update_of_a_missing_user_returns_none(uow_factory: UowFactory) -> None:
    user = await _add_committed(uow_factory)

    async with uow_factory().write() as uow:
        assert await uow.users.update(replace(user, id=user.id + 1000)) is None


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"email": "OTHER@example.com"}, EmailAlreadyRegisteredError),
        ({"username": "OTHER"}, UsernameAlreadyTakenError),
    ],
)
async def test_update_to_a_taken_email_or_username_conflicts(
    uow_factory: UowFactory, change: dict[str, str], error: type[Exception]
) -> None:
    await _add_committed(uow_factory, email="other@example.com", username="other")
    user = await _add_committed(uow_factory)

    async with uow_factory().write() as uow:
        with pytest.raises(error):
            await uow.users.update(user.changed(**change))
        assert await uow.users.update(user.changed(username="still-fine")) is not None
        await uow.commit()


async def test_a_user_may_keep_their_own_email_and_username(uow_factory: UowFactory) -> None:
    user = await _add_committed(uow_factory, email="me@example.com", username="me.myself")

    async with uow_factory().write() as uow:
        updated = await uow.users.update(user.changed(email="ME@example.com", username="ME.MYSELF"))

    assert updated is not None
    assert updated.username == "ME.MYSELF"


async def test_replace_password_hash_only_replaces_the_expected_hash(
    uow_factory: UowFactory,
) -> None:
    user = await _add_committed(uow_factory)

    async with uow_factory().write() as uow:
        assert not await uow.users.replace_password_hash(user.id, old="stale", new="x")
        assert await uow.users.replace_password_hash(user.id, old=user.password_hash, new="fresh")
        assert not await uow.users.replace_password_hash(user.id + 1000, old="a", new="b")
        await uow.commit()

    async with uow_factory().write() as uow:
        stored = await uow.users.get(user.id)
    assert stored is not None
    assert (stored.password_hash, stored.updated_at) == ("fresh", user.updated_at)


async def test_delete_reports_whether_the_user_existed(uow_factory: UowFactory) -> None:
    user = await _add_committed(uow_factory)

    async with uow_factory().write() as uow:
        assert await uow.users.delete(user.id)
        assert await uow.users.get(user.id) is None
        assert not await uow.users.delete(user.id)
        await uow.commit()

    async with uow_factory().write() as uow:
        assert await uow.users.get(user.id) is None


async def test_a_second_update_of_a_user_waits_for_the_first(uow_factory: UowFactory) -> None:
    user = await _add_committed(uow_factory)

    async with uow_factory().write() as first:
        await first.users.update(user.changed(username="first"))

        async def second_update() -> User | None:
            async with uow_factory().write() as second:
                updated = await second.users.update(user.changed(username="second"))
                await second.commit()
            return updated

        racing = asyncio.create_task(second_update())
        await asyncio.sleep(0.2)
        assert not racing.done(), "the row is locked by the first update"
        await first.commit()

    assert (await racing) is not None
    async with uow_factory().write() as uow:
        stored = await uow.users.get(user.id)
    assert stored is not None
    assert stored.username == "second"


async def test_a_read_sees_committed_data_and_a_unit_of_work_opens_any_kind_of_block(
    uow_factory: UowFactory,
) -> None:
    user = await _add_committed(uow_factory)
    uow = uow_factory()

    async with uow.read() as reader:
        assert await reader.users.get(user.id) == user
        assert not hasattr(reader, "commit"), "a read block has nothing to commit"

    async with uow.write() as writer:
        added = await writer.users.add(new_user())
        await writer.commit()
    async with uow.read(may_lag=True) as reader:
        assert await reader.users.get(added.id) == added


async def test_set_role_stores_it_and_moves_the_version_only_on_a_change(
    uow_factory: UowFactory,
) -> None:
    user = await _add_committed(uow_factory)
    assert user.role is Role.MEMBER

    async with uow_factory().write() as uow:
        admin = await uow.users.set_role(user.id, Role.ADMIN)
        same = await uow.users.set_role(user.id, Role.ADMIN)
        missing = await uow.users.set_role(user.id + 1000, Role.ADMIN)
        await uow.commit()

    assert admin is not None
    assert (admin.role, admin.version) == (Role.ADMIN, user.version + 1)
    assert admin.updated_at > user.updated_at
    assert same == admin
    assert missing is None
    async with uow_factory().read() as repos:
        assert await repos.users.get(user.id) == admin


async def test_lock_admins_lists_the_admins_in_order(uow_factory: UowFactory) -> None:
    first = await _add_committed(uow_factory)
    member = await _add_committed(uow_factory)
    second = await _add_committed(uow_factory)
    async with uow_factory().write() as uow:
        for user in (second, first):
            await uow.users.set_role(user.id, Role.ADMIN)
        await uow.commit()

    async with uow_factory().write() as uow:
        assert list(await uow.users.lock_admins()) == [first.id, second.id]
    assert member.role is Role.MEMBER


async def test_a_user_added_as_admin_is_one(uow_factory: UowFactory) -> None:
    async with uow_factory().write() as uow:
        user = await uow.users.add(replace(new_user(), role=Role.ADMIN))
        await uow.commit()

    assert user.role is Role.ADMIN


async def test_two_admins_demoted_at_once_leave_one(
    uow_factory: UowFactory, password_hasher: PasswordHasher
) -> None:
    """The last-admin rule holds under concurrency: the admins' rows are locked first."""
    admins = [await _add_committed(uow_factory) for _ in range(2)]
    async with uow_factory().write() as uow:
        for admin in admins:
            await uow.users.set_role(admin.id, Role.ADMIN)
        await uow.commit()

    results = await asyncio.gather(
        *(
            UserService(uow_factory(), password_hasher, PASSWORD_STRENGTH).change_role(
                admin.username, Role.MEMBER
            )
            for admin in admins
        ),
        return_exceptions=True,
    )

    assert sum(isinstance(result, LastAdminError) for result in results) == 1
    async with uow_factory().read() as repos:
        roles = [(await repos.users.get(admin.id)) for admin in admins]
    assert [user.role for user in roles if user is not None].count(Role.ADMIN) == 1
