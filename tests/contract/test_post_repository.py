"""One contract for every PostRepository, run on the in-memory adapter and on PostgreSQL."""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from application.unit_of_work import UnitOfWork
from domain.posts import Author, AuthoredPost, NewPost, Post
from domain.users import User, UserNotFoundError
from tests.support.factories import new_post, new_user

UowFactory = Callable[[], UnitOfWork]


async def _user(uow_factory: UowFactory, **overrides: str) -> User:
    async with uow_factory().write() as uow:
        user = await uow.users.add(new_user(**overrides))
        await uow.commit()
    return user


async def _post(uow_factory: UowFactory, author: User, **overrides: str) -> Post:
    async with uow_factory().write() as uow:
        added = await uow.posts.add(new_post(author_id=author.id, **overrides))
        await uow.commit()
    return added.post


def _authored(post: Post, author: User) -> AuthoredPost:
    return AuthoredPost(
        post=post, author=Author(id=author.id, username=author.username, version=author.version)
    )


async def test_add_assigns_an_id_and_timestamps(uow_factory: UowFactory) -> None:
    author = await _user(uow_factory)
    draft = new_post(author_id=author.id)

    post = await _post(uow_factory, author, title=draft.title, content=draft.content)

    assert post.id >= 1
    assert (post.title, post.content, post.author_id) == (draft.title, draft.content, author.id)
    assert post.created_at == post.updated_at
    async with uow_factory().write() as uow:
        assert await uow.posts.get(post.id) == post
        assert await uow.posts.get_authored(post.id) == _authored(post, author)
        assert await uow.posts.get(post.id + 1000) is None
        assert await uow.posts.get_authored(post.id + 1000) is None


async def test_add_returns_the_post_with_its_author(uow_factory: UowFactory) -> None:
    author = await _user(uow_factory, username="writer")

    async with uow_factory().write() as uow:
        added = await uow.posts.add(new_post(author_id=author.id))
        await uow.commit()

    assert added == _authored(added.post, author)
    assert (added.author.username, added.author.version) == ("writer", 1)
    async with uow_factory().write() as uow:
        assert await uow.posts.get_authored(added.post.id) == added


async def test_add_names_the_author_as_its_transaction_sees_them(uow_factory: UowFactory) -> None:
    author = await _user(uow_factory, username="before")

    async with uow_factory().write() as uow:
        renamed = await uow.users.update(author.changed(username="after"))
        added = await uow.posts.add(new_post(author_id=author.id))
        await uow.commit()

    assert renamed is not None
    assert added.author == Author(id=author.id, username="after", version=2)


async def test_add_neither_waits_for_nor_sees_a_rename_in_progress(
    uow_factory: UowFactory,
) -> None:
    """The author's row is locked as the foreign key locks it: against deletion only."""
    author = await _user(uow_factory, username="before")

    async with uow_factory().write() as renaming:
        assert await renaming.users.update(author.changed(username="after")) is not None
        async with uow_factory().write() as publishing:
            added = await asyncio.wait_for(
                publishing.posts.add(new_post(author_id=author.id)), timeout=5
            )
            await publishing.commit()
        await renaming.commit()

    assert added.author == Author(id=author.id, username="before", version=1)


async def test_a_post_needs_an_existing_author(uow_factory: UowFactory) -> None:
    async with uow_factory().write() as uow:
        with pytest.raises(UserNotFoundError):
            await uow.posts.add(new_post(author_id=987654))
        author = await uow.users.add(new_user())
        added = await uow.posts.add(new_post(author_id=author.id))
        await uow.commit()

    async with uow_factory().write() as uow:
        listed = await uow.posts.list_authored(limit=100)
    assert listed == [added], "nothing stored for the refusal, and the transaction went on"


async def test_listing_is_newest_first_then_by_id(uow_factory: UowFactory) -> None:
    ada, bob = await _user(uow_factory), await _user(uow_factory)
    oldest = await _post(uow_factory, ada)
    async with uow_factory().write() as uow:
        # One transaction, one now(): the id breaks the tie.
        same_time = [(await uow.posts.add(new_post(author_id=bob.id))).post for _ in range(3)]
        await uow.commit()
    newest = await _post(uow_factory, ada)

    async with uow_factory().write() as uow:
        listed = await uow.posts.list_authored(skip=0, limit=100)
        paged = await uow.posts.list_authored(skip=1, limit=2)
        of_ada = await uow.posts.list_authored(skip=0, limit=100, author_id=ada.id)
        of_nobody = await uow.posts.list_authored(skip=0, limit=100, author_id=987654)

    expected = [newest, *reversed(same_time), oldest]
    assert [item.post for item in listed] == expected
    assert [item.author.username for item in listed] == [
        ada.username,
        bob.username,
        bob.username,
        bob.username,
        ada.username,
    ]
    assert [item.post for item in paged] == expected[1:3]
    assert [item.post for item in of_ada] == [newest, oldest]
    assert of_nobody == []


async def test_update_changes_the_text_and_updated_at_only(uow_factory: UowFactory) -> None:
    author = await _user(uow_factory)
    post = await _post(uow_factory, author, title="Before")
    await asyncio.sleep(0.01)

    async with uow_factory().write() as uow:
        updated = await uow.posts.update(post.changed(title="After"))
        missing = await uow.posts.update(replace(post, id=post.id + 1000))
        await uow.commit()

    assert updated is not None
    assert (updated.title, updated.content, updated.created_at) == (
        "After",
        post.content,
        post.created_at,
    )
    assert updated.updated_at - post.updated_at >= timedelta(milliseconds=10)
    assert missing is None
    async with uow_factory().write() as uow:
        assert await uow.posts.get(post.id) == updated


async def test_an_edit_that_waited_for_the_row_is_stamped_after_the_one_before_it(
    uow_factory: UowFactory,
) -> None:
    """updated_at follows the order of the changes, not of the transactions' starts."""
    author = await _user(uow_factory)
    post = await _post(uow_factory, author)

    async with uow_factory().write() as early:
        await early.posts.get(post.id)  # begun: its now() is fixed from here
        await asyncio.sleep(0.01)
        async with uow_factory().write() as late:
            first = await late.posts.update(post.changed(title="First"))
            await late.commit()
        second = await early.posts.update(post.changed(title="Second"))
        await early.commit()

    assert first is not None
    assert second is not None
    assert second.updated_at > first.updated_at


async def test_a_post_read_for_update_holds_other_writers_until_the_transaction_ends(
    uow_factory: UowFactory,
) -> None:
    author = await _user(uow_factory)
    post = await _post(uow_factory, author, title="Read")

    async with uow_factory().write() as reading:
        assert await reading.posts.get(post.id, for_update=True) == post

        async def edit() -> Post | None:
            async with uow_factory().write() as editing:
                edited = await editing.posts.update(post.changed(title="Meanwhile"))
                await editing.commit()
            return edited

        racing = asyncio.create_task(edit())
        await asyncio.sleep(0.2)
        assert not racing.done(), "the edit waits for the transaction that read for update"
        await reading.commit()

    edited = await racing
    assert edited is not None
    assert edited.title == "Meanwhile"


async def test_delete_reports_whether_the_post_existed(uow_factory: UowFactory) -> None:
    post = await _post(uow_factory, await _user(uow_factory))

    async with uow_factory().write() as uow:
        assert await uow.posts.delete(post.id)
        assert not await uow.posts.delete(post.id)
        await uow.commit()

    async with uow_factory().write() as uow:
        assert await uow.posts.get(post.id) is None


async def test_deleting_a_user_deletes_their_posts(uow_factory: UowFactory) -> None:
    gone, stays = await _user(uow_factory), await _user(uow_factory)
    await _post(uow_factory, gone)
    kept = await _post(uow_factory, stays)

    async with uow_factory().write() as uow:
        assert await uow.users.delete(gone.id)
        assert not await uow.users.delete(gone.id)
        await uow.commit()

    async with uow_factory().write() as uow:
        listed = await uow.posts.list_authored(skip=0, limit=100)
    assert [item.post for item in listed] == [kept]


async def test_a_post_for_an_author_deleted_meanwhile_is_refused(uow_factory: UowFactory) -> None:
    """Whichever of the two transactions waits, no post is left without its author."""
    author = await _user(uow_factory)

    async with uow_factory().write() as deleting:
        await deleting.users.delete(author.id)

        async def publish() -> None:
            async with uow_factory().write() as publishing:
                await publishing.posts.add(new_post(author_id=author.id))
                await publishing.commit()

        racing = asyncio.create_task(publish())
        await asyncio.sleep(0.2)
        await deleting.commit()

    with pytest.raises(UserNotFoundError):
        await racing
    async with uow_factory().write() as uow:
        assert await uow.posts.list_authored(skip=0, limit=100) == []


async def test_deleting_an_author_waits_for_a_post_being_added_then_takes_it(
    uow_factory: UowFactory,
) -> None:
    author = await _user(uow_factory)

    async with uow_factory().write() as publishing:
        await publishing.posts.add(new_post(author_id=author.id))

        async def delete_author() -> bool:
            async with uow_factory().write() as deleting:
                deleted = await deleting.users.delete(author.id)
                await deleting.commit()
            return deleted

        racing = asyncio.create_task(delete_author())
        await asyncio.sleep(0.2)
        assert not racing.done(), "the delete waits for the transaction adding a post"
        await publishing.commit()

    assert await racing
    async with uow_factory().write() as uow:
        assert await uow.posts.list_authored(skip=0, limit=100) == []


async def test_two_posts_by_one_author_do_not_wait_for_each_other(
    uow_factory: UowFactory,
) -> None:
    author = await _user(uow_factory)

    async with uow_factory().write() as first, uow_factory().write() as second:
        await first.posts.add(new_post(author_id=author.id))
        await asyncio.wait_for(second.posts.add(new_post(author_id=author.id)), timeout=5)
        await first.commit()
        await second.commit()

    async with uow_factory().write() as uow:
        assert len(await uow.posts.list_authored(skip=0, limit=100)) == 2


def test_the_factory_builds_valid_posts() -> None:
    assert isinstance(new_post(author_id=1), NewPost)
