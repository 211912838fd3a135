"""The post use cases, on the in-memory adapter."""

from datetime import UTC, datetime

import pytest

from application.pagination import PageRequest
from application.ports import PasswordHasher, PasswordStrength
from application.posts import EditPost, PostService, PublishPost
from application.users import RegisterUser, UserService
from domain.errors import ValidationError
from domain.posts import InvalidPostError, NotPostAuthorError, PostKey, PostNotFoundError
from domain.sessions import Caller
from domain.users import User, UserNotFoundError
from infrastructure.memory import InMemoryUnitOfWork
from tests.support.factories import register_user


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
def posts(uow: InMemoryUnitOfWork) -> PostService:
    return PostService(uow)


@pytest.fixture
async def users(
    uow: InMemoryUnitOfWork, password_hasher: PasswordHasher, password_strength: PasswordStrength
) -> UserService:
    return UserService(uow, password_hasher, password_strength)


async def _member(users: UserService, **overrides: str) -> User:
    command: RegisterUser = register_user(**overrides)
    return await users.register_user(command)


async def test_publishing_makes_the_caller_the_author(
    posts: PostService, users: UserService
) -> None:
    ada = await _member(users, username="ada")

    published = await posts.publish_post(
        Caller(user_id=ada.id), PublishPost(title="Hello", content="World")
    )

    assert published.post.author_id == ada.id
    assert (published.author.id, published.author.username) == (ada.id, "ada")
    assert await posts.get_post(published.post.id) == published


async def test_publishing_as_an_account_that_is_gone_stores_nothing(
    posts: PostService, users: UserService, uow: InMemoryUnitOfWork
) -> None:
    """The caller's id came from a token; the INSERT finds the account deleted since."""
    ada = await _member(users)
    await users.delete_user(ada, ada.id)

    with pytest.raises(UserNotFoundError):
        await posts.publish_post(
            Caller(user_id=ada.id), PublishPost(title="Hello", content="World")
        )
    assert uow.store.posts == {}


@pytest.mark.parametrize(
    ("title", "content", "message"),
    [
        ("", "c", "blank"),
        ("   \t", "c", "blank"),
        ("x" * 201, "c", "at most 200"),
        ("t", "", "1 to 100000"),
        ("t", "x" * 100_001, "1 to 100000"),
        ("nul\x00", "c", "NUL"),
        ("t", "bad \ud800", "invalid Unicode"),
    ],
)
async def test_invalid_posts_are_refused(
    posts: PostService,
    users: UserService,
    uow: InMemoryUnitOfWork,
    title: str,
    content: str,
    message: str,
) -> None:
    ada = await _member(users)

    with pytest.raises(InvalidPostError, match=message):
        await posts.publish_post(Caller(user_id=ada.id), PublishPost(title=title, content=content))
    assert uow.store.posts == {}


async def test_an_unknown_post_is_not_found(posts: PostService) -> None:
    with pytest.raises(PostNotFoundError, match="Post not found"):
        await posts.get_post(1)


async def test_listing_is_newest_first_and_filters_by_author(
    posts: PostService, users: UserService
) -> None:
    ada, bob = await _member(users), await _member(users)
    first = await posts.publish_post(Caller(user_id=ada.id), PublishPost(title="1", content="c"))
    second = await posts.publish_post(Caller(user_id=bob.id), PublishPost(title="2", content="c"))
    third = await posts.publish_post(Caller(user_id=ada.id), PublishPost(title="3", content="c"))

    assert (await posts.list_posts()).items == [third, second, first]
    assert (await posts.list_posts(author_id=ada.id)).items == [third, first]
    assert (await posts.list_posts(PageRequest(skip=1, limit=1))).items == [second]
    assert (await posts.list_user_posts(bob.id)).items == [second]


async def test_the_posts_of_an_unknown_user_are_not_found(posts: PostService) -> None:
    with pytest.raises(UserNotFoundError):
        await posts.list_user_posts(42)


@pytest.mark.parametrize(
    "page",
    [
        PageRequest[PostKey](skip=-1),
        PageRequest[PostKey](limit=0),
        PageRequest[PostKey](limit=101),
        PageRequest(skip=1, after=PostKey(created_at=datetime.now(UTC), id=1)),
        PageRequest(
            after=PostKey(created_at=datetime.now(UTC), id=1),
            before=PostKey(created_at=datetime.now(UTC), id=2),
        ),
    ],
)
async def test_pages_out_of_range_are_refused(
    posts: PostService, page: PageRequest[PostKey]
) -> None:
    with pytest.raises(ValidationError):
        await posts.list_posts(page)
    with pytest.raises(ValidationError):
        await posts.list_user_posts(1, page)


async def test_the_author_edits_and_others_may_not(posts: PostService, users: UserService) -> None:
    ada, bob = await _member(users), await _member(users)
    published = await posts.publish_post(
        Caller(user_id=ada.id), PublishPost(title="Draft", content="Text")
    )

    with pytest.raises(NotPostAuthorError, match="Not the author of this post"):
        await posts.edit_post(bob, published.post.id, EditPost(title="Mine"))
    edited = await posts.edit_post(ada, published.post.id, EditPost(title="Final"))

    assert (edited.post.title, edited.post.content) == ("Final", "Text")
    assert await posts.get_post(published.post.id) == edited


async def test_an_empty_edit_changes_nothing(posts: PostService, users: UserService) -> None:
    ada = await _member(users)
    published = await posts.publish_post(
        Caller(user_id=ada.id), PublishPost(title="t", content="c")
    )

    assert await posts.edit_post(ada, published.post.id, EditPost()) == published


async def test_a_missing_post_is_not_found_before_ownership(
    posts: PostService, users: UserService
) -> None:
    bob = await _member(users)

    with pytest.raises(PostNotFoundError):
        await posts.edit_post(bob, 99, EditPost(title="x"))
    with pytest.raises(PostNotFoundError):
        await posts.delete_post(bob, 99)


async def test_only_the_author_deletes(
    posts: PostService, users: UserService, uow: InMemoryUnitOfWork
) -> None:
    ada, bob = await _member(users), await _member(users)
    published = await posts.publish_post(
        Caller(user_id=ada.id), PublishPost(title="t", content="c")
    )

    with pytest.raises(NotPostAuthorError):
        await posts.delete_post(bob, published.post.id)
    await posts.delete_post(ada, published.post.id)

    assert uow.store.posts == {}
