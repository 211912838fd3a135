"""Creates made at most once per idempotency key, on the in-memory adapter."""

import asyncio
from datetime import timedelta

import pytest

from application.idempotency import IdempotencyKeyService, Once, Outcome
from application.ports import PasswordHasher
from application.posts import EditPost, PostService, PublishPost
from application.users import UserService
from domain.idempotency import IdempotencyKeyInUseError, IdempotencyKeyReusedError, StoredResponse
from domain.posts import AuthoredPost
from domain.sessions import Caller
from domain.users import User, UserNotFoundError
from infrastructure.memory import InMemoryStore, InMemoryUnitOfWork
from tests.conftest import PASSWORD_STRENGTH
from tests.support.factories import register_user


class CountingHasher:
    """A real hasher that counts its hashes: the costly step a replay must not pay for."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher
        self.hashes = 0

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return await self._hasher.hash(password)

    async def verify(self, password: str, password_hash: str) -> bool:
        return await self._hasher.verify(password, password_hash)

    async def verify_and_update(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        return await self._hasher.verify_and_update(password, password_hash)

    async def verify_dummy(self, password: str) -> None:
        await self._hasher.verify_dummy(password)


def _post_answer(authored: AuthoredPost) -> StoredResponse:
    return StoredResponse(
        status=201,
        headers=(("location", f"/posts/{authored.post.id}"),),
        body=authored.post.title.encode(),
    )


def _user_answer(user: User) -> StoredResponse:
    return StoredResponse(status=201, headers=(), body=str(user.id).encode())


def _post_once(key: str = "key-1", fingerprint: str = "same") -> Once[AuthoredPost]:
    return Once(key=key, fingerprint=fingerprint, render=_post_answer)


def _user_once(key: str = "key-1", fingerprint: str = "same") -> Once[User]:
    return Once(key=key, fingerprint=fingerprint, render=_user_answer)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def hasher(password_hasher: PasswordHasher) -> CountingHasher:
    return CountingHasher(password_hasher)


@pytest.fixture
def users(store: InMemoryStore, hasher: CountingHasher) -> UserService:
    return UserService(InMemoryUnitOfWork(store), hasher, PASSWORD_STRENGTH)


@pytest.fixture
def posts(store: InMemoryStore) -> PostService:
    return PostService(InMemoryUnitOfWork(store))


@pytest.fixture
async def ada(users: UserService) -> User:
    return await users.register_user(register_user(username="ada"))


HELLO = PublishPost(title="Hello", content="World")


async def test_a_repeat_gets_the_first_answer_and_creates_nothing(
    posts: PostService, ada: User, store: InMemoryStore
) -> None:
    first = await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())
    again = await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())

    assert not first.replayed
    assert again == Outcome(first.response, replayed=True)
    assert len(store.posts) == 1
    assert first.response.headers == (("location", f"/posts/{next(iter(store.posts))}"),)
    assert len(store.idempotency_keys) == 1


async def test_the_replay_is_the_first_answer_even_after_the_post_changed(
    posts: PostService, ada: User
) -> None:
    first = await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())
    post_id = int(first.response.headers[0][1].rsplit("/", 1)[1])
    await posts.edit_post(ada, post_id, EditPost(title="Changed"))

    again = await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())

    assert again.response == first.response
    assert again.replayed


async def test_deleting_the_post_deletes_its_key_so_a_retry_publishes_anew(
    posts: PostService, ada: User, store: InMemoryStore
) -> None:
    first = await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())
    await posts.delete_post(ada, int(first.response.headers[0][1].rsplit("/", 1)[1]))
    assert store.idempotency_keys == {}

    again = await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())

    assert not again.replayed
    assert again.response != first.response
    assert len(store.posts) == 1


async def test_the_same_key_for_another_request_is_refused(
    posts: PostService, ada: User, store: InMemoryStore
) -> None:
    await posts.publish_post_once(
        Caller(user_id=ada.id), HELLO, _post_once(fingerprint="first body")
    )

    with pytest.raises(IdempotencyKeyReusedError, match="already used for a different request"):
        await posts.publish_post_once(
            Caller(user_id=ada.id), HELLO, _post_once(fingerprint="second body")
        )
    assert len(store.posts) == 1


async def test_a_repeat_while_the_first_is_in_flight_is_refused_at_once(
    posts: PostService, store: InMemoryStore, ada: User
) -> None:
    """Refused while the first still holds the key, rather than after waiting for it."""
    async with InMemoryUnitOfWork(store).write() as first:
        # A first request, mid-transaction, with its key claimed.
        assert await first.idempotency_keys.claim(f"user:{ada.id}", "key-1")

        with pytest.raises(IdempotencyKeyInUseError, match="still in progress"):
            await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())

    assert store.posts == {}
    assert not (await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())).replayed


async def test_other_authors_may_use_the_same_key(
    posts: PostService, users: UserService, ada: User, store: InMemoryStore
) -> None:
    bob = await users.register_user(register_user(username="bob"))

    mine = await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())
    theirs = await posts.publish_post_once(Caller(user_id=bob.id), HELLO, _post_once())

    assert not mine.replayed
    assert not theirs.replayed
    assert {post.author_id for post in store.posts.values()} == {ada.id, bob.id}


async def test_an_expired_key_creates_again(store: InMemoryStore, ada: User) -> None:
    posts = PostService(InMemoryUnitOfWork(store), idempotency_key_lifetime=timedelta(0))

    first = await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())
    second = await posts.publish_post_once(
        Caller(user_id=ada.id), HELLO, _post_once(fingerprint="anything")
    )

    assert not first.replayed
    assert not second.replayed
    assert len(store.posts) == 2
    assert len(store.idempotency_keys) == 1, "the expired key was replaced"


async def test_a_create_that_fails_keeps_no_key(
    posts: PostService, users: UserService, ada: User, store: InMemoryStore
) -> None:
    await users.delete_user(ada, ada.id)

    with pytest.raises(UserNotFoundError):
        await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())

    assert store.idempotency_keys == {}


async def test_a_deleted_authors_repeat_is_refused_not_replayed(
    posts: PostService, users: UserService, ada: User, store: InMemoryStore
) -> None:
    """A replay or a refused key skips the INSERT that checks the author, so it checks itself."""
    await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())
    await users.delete_user(ada, ada.id)

    with pytest.raises(UserNotFoundError):
        await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())
    with pytest.raises(UserNotFoundError):
        await posts.publish_post_once(
            Caller(user_id=ada.id), HELLO, _post_once(fingerprint="another body")
        )
    async with InMemoryUnitOfWork(store).write() as first:
        assert await first.idempotency_keys.claim(f"user:{ada.id}", "key-1")
        with pytest.raises(UserNotFoundError):
            await posts.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once())


async def test_parallel_repeats_create_one_post(store: InMemoryStore, ada: User) -> None:
    results = await asyncio.gather(
        *(
            PostService(InMemoryUnitOfWork(store)).publish_post_once(
                Caller(user_id=ada.id), HELLO, _post_once()
            )
            for _ in range(10)
        ),
        return_exceptions=True,
    )

    created = [r for r in results if isinstance(r, Outcome) and not r.replayed]
    assert len(created) == 1
    assert all(
        isinstance(r, IdempotencyKeyInUseError)
        or (isinstance(r, Outcome) and r.response == created[0].response)
        for r in results
    )
    assert len(store.posts) == 1


async def test_a_registration_replay_costs_no_hash(
    users: UserService, hasher: CountingHasher, store: InMemoryStore
) -> None:
    command = register_user(email="Ada@Example.com")

    first = await users.register_user_once(command, _user_once())
    again = await users.register_user_once(command, _user_once())
    with pytest.raises(IdempotencyKeyReusedError):
        await users.register_user_once(command, _user_once(fingerprint="another password"))

    assert again == Outcome(first.response, replayed=True)
    assert hasher.hashes == 1
    assert len(store.users) == 1


async def test_a_registration_in_flight_is_refused_before_hashing(
    store: InMemoryStore, hasher: CountingHasher
) -> None:
    command = register_user(email="ada@example.com")
    async with InMemoryUnitOfWork(store).write() as first:
        assert await first.idempotency_keys.claim("registration:ada@example.com", "key-1")

        with pytest.raises(IdempotencyKeyInUseError):
            await UserService(
                InMemoryUnitOfWork(store), hasher, PASSWORD_STRENGTH
            ).register_user_once(command, _user_once())

    assert hasher.hashes == 0
    assert store.users == {}


async def test_registrations_of_different_emails_never_share_a_key(
    users: UserService, store: InMemoryStore
) -> None:
    """Registration has no caller: the key's scope is the email being registered."""
    ada = await users.register_user_once(register_user(email="ada@example.com"), _user_once())
    bob = await users.register_user_once(
        register_user(email="bob@example.com"), _user_once(fingerprint="bob's body")
    )

    assert not ada.replayed
    assert not bob.replayed
    assert len(store.users) == 2


async def test_parallel_registrations_with_one_key_create_one_user(
    store: InMemoryStore, hasher: CountingHasher
) -> None:
    command = register_user(email="race@example.com")
    results = await asyncio.gather(
        *(
            UserService(InMemoryUnitOfWork(store), hasher, PASSWORD_STRENGTH).register_user_once(
                command, _user_once()
            )
            for _ in range(10)
        ),
        return_exceptions=True,
    )

    assert sum(isinstance(r, Outcome) and not r.replayed for r in results) == 1
    assert all(isinstance(r, Outcome | IdempotencyKeyInUseError) for r in results)
    assert len(store.users) == 1


async def test_the_purge_deletes_expired_keys(store: InMemoryStore, ada: User) -> None:
    expiring = PostService(InMemoryUnitOfWork(store), idempotency_key_lifetime=timedelta(0))
    await expiring.publish_post_once(Caller(user_id=ada.id), HELLO, _post_once(key="old"))
    await PostService(InMemoryUnitOfWork(store)).publish_post_once(
        Caller(user_id=ada.id), HELLO, _post_once(key="new")
    )

    assert await IdempotencyKeyService(InMemoryUnitOfWork(store)).purge_expired_keys() == 1
    assert [key for _, key in store.idempotency_keys] == ["new"]
