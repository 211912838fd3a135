"""Key-based pages, one contract for both adapters: after a key, before it, at any depth."""

from collections.abc import Callable

from application.unit_of_work import UnitOfWork
from domain.posts import AuthoredPost, PostKey
from domain.users import User
from tests.support.factories import new_post, new_user

UowFactory = Callable[[], UnitOfWork]


async def _users(uow_factory: UowFactory, count: int) -> list[User]:
    async with uow_factory().write() as uow:
        users = [await uow.users.add(new_user()) for _ in range(count)]
        await uow.commit()
    return users


async def test_users_after_and_before_a_key(uow_factory: UowFactory) -> None:
    users = await _users(uow_factory, 7)
    ids = [user.id for user in users]

    async with uow_factory().write() as uow:
        after = await uow.users.list(limit=3, after=ids[1])
        before = await uow.users.list(limit=3, before=ids[5])
        before_start = await uow.users.list(limit=3, before=ids[1])
        after_end = await uow.users.list(limit=3, after=ids[-1])

    assert [u.id for u in after] == ids[2:5]
    assert [u.id for u in before] == ids[2:5], "the last 3 before the key, still in id order"
    assert [u.id for u in before_start] == ids[:1]
    assert after_end == []


async def _posts(uow_factory: UowFactory, count: int) -> tuple[User, list[AuthoredPost]]:
    """Posts in three transactions, so that some share a creation time and some do not."""
    (author,) = await _users(uow_factory, 1)
    for batch in range(3):
        async with uow_factory().write() as uow:
            for _ in range(count // 3 + (batch < count % 3)):
                await uow.posts.add(new_post(author_id=author.id))
            await uow.commit()
    async with uow_factory().write() as uow:
        every = await uow.posts.list_authored(limit=100)
    return author, list(every)


async def test_posts_after_and_before_a_key(uow_factory: UowFactory) -> None:
    author, every = await _posts(uow_factory, 9)
    keys = [PostKey.of(item.post) for item in every]
    assert keys == sorted(keys, reverse=True), "newest first"

    async with uow_factory().write() as uow:
        after = await uow.posts.list_authored(limit=3, after=keys[2])
        before = await uow.posts.list_authored(limit=3, before=keys[6])
        of_author = await uow.posts.list_authored(limit=4, author_id=author.id, after=keys[0])
        of_nobody = await uow.posts.list_authored(limit=4, author_id=author.id + 99, after=keys[0])

    assert after == every[3:6]
    assert before == every[3:6], "the 3 just newer than the key, still newest first"
    assert of_author == every[1:5]
    assert of_nobody == []


async def test_walking_by_keys_meets_every_post_once_despite_new_ones(
    uow_factory: UowFactory,
) -> None:
    author, every = await _posts(uow_factory, 10)
    seen: list[AuthoredPost] = []
    after: PostKey | None = None
    while True:
        async with uow_factory().write() as uow:
            page = await uow.posts.list_authored(limit=3, after=after)
            # A new post lands at the head of the list between two pages.
            await uow.posts.add(new_post(author_id=author.id))
            await uow.commit()
        if not page:
            break
        seen.extend(page)
        after = PostKey.of(page[-1].post)

    assert [item.post.id for item in seen] == [item.post.id for item in every]
