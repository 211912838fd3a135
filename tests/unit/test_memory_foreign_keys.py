"""The in-memory store applies the foreign keys it is given, as data: each ON DELETE rule.

The service's own keys (every one ON DELETE CASCADE) are proved against
PostgreSQL by the contract tests; these give the same tables other rules.
"""

import pytest

from domain.posts import Post
from domain.users import UserNotFoundError
from infrastructure.memory import InMemoryStore, InMemoryUnitOfWork
from infrastructure.memory.schema import FOREIGN_KEYS, ForeignKey, ForeignKeyViolationError
from infrastructure.memory.transaction import OpenTransaction
from tests.support.factories import new_post, new_user


async def _author_with_a_post(uow: InMemoryUnitOfWork) -> tuple[int, int]:
    async with uow.write() as tx:
        author = await tx.users.add(new_user())
        authored = await tx.posts.add(new_post(author_id=author.id))
        await tx.commit()
    return author.id, authored.post.id


def _store(on_delete: str) -> InMemoryStore:
    posts_author = ForeignKey(
        table="posts",
        column="author_id",
        parent="users",
        on_delete=on_delete,  # type: ignore[arg-type]  # each rule in turn
    )
    return InMemoryStore(foreign_keys=(posts_author, *FOREIGN_KEYS[1:]))


async def test_cascade_deletes_the_rows_pointing_at_the_deleted_one() -> None:
    uow = InMemoryUnitOfWork(_store("cascade"))
    author_id, post_id = await _author_with_a_post(uow)

    async with uow.write() as tx:
        assert await tx.users.delete(author_id)
        assert await tx.posts.get(post_id) is None, "in the deleting transaction already"
        await tx.commit()

    assert uow.store.posts == {}


async def test_restrict_refuses_to_delete_a_row_still_pointed_at() -> None:
    uow = InMemoryUnitOfWork(_store("restrict"))
    author_id, post_id = await _author_with_a_post(uow)

    async with uow.write() as tx:
        with pytest.raises(ForeignKeyViolationError, match=r"posts\.author_id"):
            await tx.users.delete(author_id)

    assert set(uow.store.users) == {author_id}
    assert set(uow.store.posts) == {post_id}


async def test_set_null_clears_the_column_of_the_rows_pointing_at_it() -> None:
    uow = InMemoryUnitOfWork(_store("set null"))
    author_id, post_id = await _author_with_a_post(uow)

    async with uow.write() as tx:
        assert await tx.users.delete(author_id)
        await tx.commit()

    assert uow.store.posts[post_id].author_id is None


def test_set_null_needs_a_column_to_clear() -> None:
    with pytest.raises(ValueError, match="SET NULL"):
        ForeignKey(
            table="idempotency_keys",
            column="user_id",
            parent="users",
            on_delete="set null",
            points_at=lambda record: None,
        )


def test_a_dangling_reference_is_refused_at_commit_with_the_keys_error() -> None:
    store = InMemoryStore()
    transaction = OpenTransaction(store)
    orphan = Post(
        id=1,
        title="t",
        content="c",
        author_id=99,
        created_at=transaction.now,
        updated_at=transaction.now,
        version=1,
    )
    transaction.posts.put(orphan.id, orphan)

    with pytest.raises(UserNotFoundError):
        transaction.commit()
    assert store.posts == {}
