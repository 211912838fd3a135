"""Conditional changes in the use cases (If-Match without HTTP), on the in-memory adapter."""

import pytest

from application.ports import PasswordHasher, PasswordStrength
from application.posts import EditPost, PostService, PublishPost
from application.preconditions import Precondition, pin
from application.users import UpdateUser, UserService
from domain.errors import VersionMismatchError
from domain.posts import Author, AuthoredPost, NotPostAuthorError, PostNotFoundError
from domain.sessions import Caller
from domain.users import NotAccountOwnerError, User, UserNotFoundError
from infrastructure.memory import InMemoryUnitOfWork
from tests.support.factories import register_user

ANY = Precondition(any_revision=True)


def expecting(*revisions: str) -> Precondition:
    return Precondition(revisions=frozenset(revisions))


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


ADA_PASSWORD = "ada-pass-word-1"


@pytest.fixture
def users(
    uow: InMemoryUnitOfWork, password_hasher: PasswordHasher, password_strength: PasswordStrength
) -> UserService:
    return UserService(uow, password_hasher, password_strength)


@pytest.fixture
def posts(uow: InMemoryUnitOfWork) -> PostService:
    return PostService(uow)


@pytest.fixture
async def ada(users: UserService) -> User:
    return await users.register_user(register_user(username="ada", password=ADA_PASSWORD))


@pytest.fixture
async def published(posts: PostService, ada: User) -> AuthoredPost:
    return await posts.publish_post(
        Caller(user_id=ada.id), PublishPost(title="Draft", content="Text")
    )


def test_a_precondition_pins_the_version_it_was_read_at() -> None:
    assert expecting("3", "4").pin(revision="4", version=4) == 4
    assert ANY.pin(revision="9", version=9) is None, "any state will do: nothing to pin"
    assert pin(None, revision="1", version=1) is None, "no precondition, no condition"
    with pytest.raises(VersionMismatchError, match="changed since you read it"):
        expecting("3").pin(revision="4", version=4)
    with pytest.raises(VersionMismatchError):
        Precondition().pin(revision="1", version=1)


def test_revisions_name_what_a_client_sees(ada: User, published: AuthoredPost) -> None:
    assert (ada.version, ada.revision) == (1, "1")
    assert (published.post.version, published.author.version) == (1, 1)
    assert published.revision == f"1.{published.author.revision}"


async def test_public_revisions_move_with_the_public_fields_only(
    users: UserService, ada: User, published: AuthoredPost
) -> None:
    """A stranger's ETags (the public view's, a post's) must not show a change of email or
    password; they do show a new username."""
    private = await users.update_user(
        ada,
        ada.id,
        UpdateUser(
            email="elsewhere@example.com",
            password="another-pass-word",
            current_password=ADA_PASSWORD,
        ),
    )
    renamed = await users.update_user(private, ada.id, UpdateUser(username="lovelace"))
    back = await users.update_user(renamed, ada.id, UpdateUser(username="ada"))

    assert private.revision != ada.revision
    assert private.public_revision == ada.public_revision
    assert renamed.public_revision != ada.public_revision
    assert back.public_revision == ada.public_revision, "the same view, the same revision"
    assert published.author.revision == Author(id=ada.id, username="ada", version=9).revision


async def test_a_change_at_the_read_revision_succeeds(users: UserService, ada: User) -> None:
    updated = await users.update_user(
        ada, ada.id, UpdateUser(username="ada2"), expected=expecting(ada.revision)
    )

    assert (updated.username, updated.version) == ("ada2", 2)
    assert await users.get_user(ada.id) == updated


async def test_a_change_at_a_stale_revision_changes_nothing(users: UserService, ada: User) -> None:
    current = await users.update_user(ada, ada.id, UpdateUser(username="first"))

    for command in (UpdateUser(username="second"), UpdateUser()):
        with pytest.raises(VersionMismatchError):
            await users.update_user(ada, ada.id, command, expected=expecting(ada.revision))
    assert await users.get_user(ada.id) == current


async def test_any_revision_accepts_whatever_exists(users: UserService, ada: User) -> None:
    await users.update_user(ada, ada.id, UpdateUser(username="moved"))

    updated = await users.update_user(ada, ada.id, UpdateUser(username="again"), expected=ANY)

    assert (updated.username, updated.version) == ("again", 3)


async def test_an_empty_change_at_the_read_revision_returns_the_user_unchanged(
    users: UserService, ada: User
) -> None:
    assert await users.update_user(ada, ada.id, UpdateUser(), expected=expecting("1")) == ada


async def test_ownership_and_existence_are_answered_before_the_precondition(
    users: UserService, ada: User
) -> None:
    bob = await users.register_user(register_user())
    stale = expecting("stale")

    with pytest.raises(NotAccountOwnerError):
        await users.update_user(bob, ada.id, UpdateUser(username="x.y.z"), expected=stale)
    with pytest.raises(NotAccountOwnerError):
        await users.delete_user(bob, ada.id, expected=stale)
    await users.delete_user(bob, bob.id)
    with pytest.raises(UserNotFoundError):
        await users.update_user(bob, bob.id, UpdateUser(), expected=stale)
    with pytest.raises(UserNotFoundError):
        await users.delete_user(bob, bob.id, expected=stale)


async def test_deleting_at_a_stale_revision_keeps_the_account(
    users: UserService, uow: InMemoryUnitOfWork, ada: User
) -> None:
    current = await users.update_user(ada, ada.id, UpdateUser(username="moved"))

    with pytest.raises(VersionMismatchError):
        await users.delete_user(ada, ada.id, expected=expecting(ada.revision))
    assert uow.store.users == {ada.id: current}

    await users.delete_user(ada, ada.id, expected=expecting(current.revision))
    assert uow.store.users == {}


async def test_editing_a_post_at_the_read_revision(
    posts: PostService, ada: User, published: AuthoredPost
) -> None:
    edited = await posts.edit_post(
        ada, published.post.id, EditPost(title="Final"), expected=expecting(published.revision)
    )

    assert (edited.post.title, edited.post.version) == ("Final", 2)
    assert edited.revision == f"2.{published.author.revision}"
    assert await posts.get_post(published.post.id) == edited


async def test_editing_a_post_at_a_stale_revision_changes_nothing(
    posts: PostService, ada: User, published: AuthoredPost
) -> None:
    current = await posts.edit_post(ada, published.post.id, EditPost(title="Theirs"))

    with pytest.raises(VersionMismatchError):
        await posts.edit_post(
            ada, published.post.id, EditPost(title="Mine"), expected=expecting(published.revision)
        )
    with pytest.raises(VersionMismatchError):
        await posts.delete_post(ada, published.post.id, expected=expecting(published.revision))
    assert await posts.get_post(published.post.id) == current


async def test_a_renamed_author_gives_the_post_a_new_revision(
    posts: PostService, users: UserService, ada: User, published: AuthoredPost
) -> None:
    """The post's representation shows the author's name: a copy with the old name is stale."""
    renamed = await users.update_user(ada, ada.id, UpdateUser(username="lovelace"))

    current = await posts.get_post(published.post.id)

    assert current.revision != published.revision
    assert current.author.username == "lovelace"
    with pytest.raises(VersionMismatchError):
        await posts.edit_post(
            renamed, published.post.id, EditPost(title="x"), expected=expecting(published.revision)
        )
    edited = await posts.edit_post(
        renamed, published.post.id, EditPost(title="x"), expected=expecting(current.revision)
    )
    assert edited.author == current.author


async def test_a_post_is_missing_or_not_ones_own_before_it_is_stale(
    posts: PostService, users: UserService, published: AuthoredPost
) -> None:
    bob = await users.register_user(register_user())
    stale = expecting("stale")

    with pytest.raises(NotPostAuthorError):
        await posts.edit_post(bob, published.post.id, EditPost(title="x"), expected=stale)
    with pytest.raises(NotPostAuthorError):
        await posts.delete_post(bob, published.post.id, expected=stale)
    with pytest.raises(PostNotFoundError):
        await posts.edit_post(bob, 999, EditPost(title="x"), expected=stale)
    with pytest.raises(PostNotFoundError):
        await posts.delete_post(bob, 999, expected=stale)


async def test_deleting_a_post_at_the_read_revision(
    posts: PostService, ada: User, published: AuthoredPost
) -> None:
    await posts.delete_post(ada, published.post.id, expected=expecting(published.revision))

    with pytest.raises(PostNotFoundError):
        await posts.get_post(published.post.id)
