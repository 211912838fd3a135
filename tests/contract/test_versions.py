"""Versions and conditional writes, one contract for users and posts on both adapters.

A conditional write ("only if the row is still at version N") must succeed
and raise the version when N is current, and change nothing when it is not;
two writers expecting the same version must get exactly one success, and a
row that is gone is told apart from a row that moved.
"""

import asyncio
from collections.abc import Callable
from itertools import count
from typing import Protocol

import pytest

from application.unit_of_work import Transaction, UnitOfWork
from domain.errors import VersionMismatchError
from domain.posts import Post
from domain.users import User
from tests.support.factories import new_post, new_user

UowFactory = Callable[[], UnitOfWork]
Row = User | Post
_names = count(1)


class Rows(Protocol):
    """One kind of versioned row, reached through its repository."""

    async def add(self, uow: Transaction) -> Row: ...

    async def get(self, uow: Transaction, row_id: int) -> Row | None: ...

    async def change(
        self, uow: Transaction, row: Row, *, expected_version: int | None = None
    ) -> Row | None:
        """Store a visible change of `row`, as the use cases do."""
        ...

    async def delete(
        self, uow: Transaction, row_id: int, *, expected_version: int | None = None
    ) -> bool: ...


class UserRows:
    async def add(self, uow: Transaction) -> Row:
        return await uow.users.add(new_user())

    async def get(self, uow: Transaction, row_id: int) -> Row | None:
        return await uow.users.get(row_id)

    async def change(
        self, uow: Transaction, row: Row, *, expected_version: int | None = None
    ) -> Row | None:
        assert isinstance(row, User)
        changed = row.changed(username=f"renamed.{next(_names)}")
        return await uow.users.update(changed, expected_version=expected_version)

    async def delete(
        self, uow: Transaction, row_id: int, *, expected_version: int | None = None
    ) -> bool:
        return await uow.users.delete(row_id, expected_version=expected_version)


class PostRows:
    async def add(self, uow: Transaction) -> Row:
        author = await uow.users.add(new_user())
        added = await uow.posts.add(new_post(author_id=author.id))
        return added.post

    async def get(self, uow: Transaction, row_id: int) -> Row | None:
        return await uow.posts.get(row_id)

    async def change(
        self, uow: Transaction, row: Row, *, expected_version: int | None = None
    ) -> Row | None:
        assert isinstance(row, Post)
        changed = row.changed(title=f"Edition {next(_names)}")
        return await uow.posts.update(changed, expected_version=expected_version)

    async def delete(
        self, uow: Transaction, row_id: int, *, expected_version: int | None = None
    ) -> bool:
        return await uow.posts.delete(row_id, expected_version=expected_version)


@pytest.fixture(params=["users", "posts"])
def rows(request: pytest.FixtureRequest) -> Rows:
    return UserRows() if request.param == "users" else PostRows()


async def _added(uow_factory: UowFactory, rows: Rows) -> Row:
    async with uow_factory().write() as uow:
        row = await rows.add(uow)
        await uow.commit()
    return row


async def _stored(uow_factory: UowFactory, rows: Rows, row_id: int) -> Row | None:
    async with uow_factory().write() as uow:
        return await rows.get(uow, row_id)


async def test_a_new_row_is_at_version_1(uow_factory: UowFactory, rows: Rows) -> None:
    row = await _added(uow_factory, rows)

    assert row.version == 1
    assert await _stored(uow_factory, rows, row.id) == row


async def test_every_update_raises_the_version_by_one(uow_factory: UowFactory, rows: Rows) -> None:
    row = await _added(uow_factory, rows)

    async with uow_factory().write() as uow:
        first = await rows.change(uow, row)
        assert first is not None
        second = await rows.change(uow, first)
        await uow.commit()

    assert second is not None
    assert (first.version, second.version) == (2, 3)
    assert await _stored(uow_factory, rows, row.id) == second


async def test_an_update_at_the_current_version_succeeds(
    uow_factory: UowFactory, rows: Rows
) -> None:
    row = await _added(uow_factory, rows)

    async with uow_factory().write() as uow:
        updated = await rows.change(uow, row, expected_version=1)
        await uow.commit()

    assert updated is not None
    assert updated.version == 2
    assert await _stored(uow_factory, rows, row.id) == updated


async def test_an_update_at_a_stale_version_changes_nothing(
    uow_factory: UowFactory, rows: Rows
) -> None:
    row = await _added(uow_factory, rows)
    async with uow_factory().write() as uow:
        current = await rows.change(uow, row)
        await uow.commit()

    async with uow_factory().write() as uow:
        with pytest.raises(VersionMismatchError, match="changed since you read it"):
            await rows.change(uow, row, expected_version=row.version)
        # The refusal leaves the transaction usable, as a unique violation does.
        assert await rows.get(uow, row.id) == current
        await uow.commit()

    assert await _stored(uow_factory, rows, row.id) == current


async def test_a_conditional_update_of_a_missing_row_returns_none(
    uow_factory: UowFactory, rows: Rows
) -> None:
    row = await _added(uow_factory, rows)
    async with uow_factory().write() as uow:
        assert await rows.delete(uow, row.id)
        await uow.commit()

    async with uow_factory().write() as uow:
        assert await rows.change(uow, row, expected_version=row.version) is None


async def test_a_delete_at_the_current_version_deletes(uow_factory: UowFactory, rows: Rows) -> None:
    row = await _added(uow_factory, rows)

    async with uow_factory().write() as uow:
        assert await rows.delete(uow, row.id, expected_version=1)
        assert not await rows.delete(uow, row.id, expected_version=1), "gone, not moved"
        await uow.commit()

    assert await _stored(uow_factory, rows, row.id) is None


async def test_a_delete_at_a_stale_version_deletes_nothing(
    uow_factory: UowFactory, rows: Rows
) -> None:
    row = await _added(uow_factory, rows)
    async with uow_factory().write() as uow:
        current = await rows.change(uow, row)
        await uow.commit()

    async with uow_factory().write() as uow:
        with pytest.raises(VersionMismatchError):
            await rows.delete(uow, row.id, expected_version=row.version)
        await uow.commit()

    assert await _stored(uow_factory, rows, row.id) == current


async def test_of_two_writers_expecting_one_version_the_second_fails(
    uow_factory: UowFactory, rows: Rows
) -> None:
    """The second waits for the first's row lock, then finds the version moved."""
    row = await _added(uow_factory, rows)

    async with uow_factory().write() as first:
        winner = await rows.change(first, row, expected_version=1)

        async def second_writer() -> Row | None:
            async with uow_factory().write() as second:
                updated = await rows.change(second, row, expected_version=1)
                await second.commit()
            return updated

        racing = asyncio.create_task(second_writer())
        await asyncio.sleep(0.2)
        assert not racing.done(), "the second write waits for the first transaction"
        await first.commit()

    with pytest.raises(VersionMismatchError):
        await racing
    assert await _stored(uow_factory, rows, row.id) == winner


async def test_a_writer_waiting_on_a_delete_finds_the_row_gone(
    uow_factory: UowFactory, rows: Rows
) -> None:
    row = await _added(uow_factory, rows)

    async with uow_factory().write() as deleting:
        assert await rows.delete(deleting, row.id, expected_version=1)

        async def writer() -> Row | None:
            async with uow_factory().write() as writing:
                return await rows.change(writing, row, expected_version=1)

        racing = asyncio.create_task(writer())
        await asyncio.sleep(0.2)
        await deleting.commit()

    assert await racing is None


async def test_a_rehash_of_the_password_keeps_the_version(uow_factory: UowFactory) -> None:
    async with uow_factory().write() as uow:
        user = await uow.users.add(new_user())
        await uow.commit()

    async with uow_factory().write() as uow:
        assert await uow.users.replace_password_hash(user.id, old=user.password_hash, new="re")
        await uow.commit()

    async with uow_factory().write() as uow:
        stored = await uow.users.get(user.id)
    assert stored is not None
    assert (stored.password_hash, stored.version) == ("re", 1)


async def test_a_post_is_read_with_its_authors_version(uow_factory: UowFactory) -> None:
    async with uow_factory().write() as uow:
        author = await uow.users.add(new_user())
        added = await uow.posts.add(new_post(author_id=author.id))
        await uow.commit()
    async with uow_factory().write() as uow:
        renamed = await uow.users.update(author.changed(username="renamed"))
        await uow.commit()
    assert renamed is not None

    async with uow_factory().write() as uow:
        authored = await uow.posts.get_authored(added.post.id)
        listed = await uow.posts.list_authored(limit=10)

    assert authored is not None
    assert (authored.author.username, authored.author.version) == ("renamed", 2)
    assert authored.post.version == 1
    assert [item.author for item in listed] == [authored.author]
