"""Transactions over the in-memory store."""

from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from domain.posts import Post
from domain.users import User, UserNotFoundError
from infrastructure.memory.posts import InMemoryPostRepository
from infrastructure.memory.store import InMemoryStore, Transaction
from infrastructure.memory.table import TableView
from infrastructure.memory.users import InMemoryUserRepository


class _OpenTransaction:
    """The state of one transaction: its lock identity and its views of the tables."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.transaction = Transaction()
        # `now()` in PostgreSQL is the start of the transaction; so is this.
        now = datetime.now(UTC)
        self.user_rows: TableView[User] = TableView(store.users)
        self.post_rows: TableView[Post] = TableView(store.posts)
        self.users = InMemoryUserRepository(
            store, self.transaction, now, self.user_rows, self.post_rows
        )
        self.posts = InMemoryPostRepository(
            store, self.transaction, now, self.user_rows, self.post_rows
        )

    def publish(self) -> None:
        """Apply the changes, with the foreign key's checks and cascade.

        Another transaction may have deleted an author since this one added
        a post for them; PostgreSQL would refuse that insert, and so does this.
        """
        new_posts = [post for post in self.post_rows.changes().values() if post is not None]
        deleted_users = [uid for uid, user in self.user_rows.changes().items() if user is None]
        if any(self.user_rows.get(post.author_id) is None for post in new_posts):
            raise UserNotFoundError
        self.user_rows.publish()
        self.post_rows.publish()
        for post in [p for p in self.store.posts.values() if p.author_id in deleted_users]:
            del self.store.posts[post.id]

    def end(self) -> None:
        self.user_rows.discard()
        self.post_rows.discard()
        self.store.release(self.transaction)


class InMemoryUnitOfWork:
    """A unit of work whose changes reach the store only on `commit()`.

    Pass one store to several units of work to let them see each other's
    commits; `store` is public so that a test can look at what was saved.
    """

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store if store is not None else InMemoryStore()
        self._open: _OpenTransaction | None = None

    @property
    def users(self) -> InMemoryUserRepository:
        return self._current().users

    @property
    def posts(self) -> InMemoryPostRepository:
        return self._current().posts

    async def __aenter__(self) -> Self:
        if self._open is not None:
            raise RuntimeError("the unit of work is already in use")
        self._open = _OpenTransaction(self.store)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._open is not None:
            self._open.end()
            self._open = None

    async def commit(self) -> None:
        current = self._current()
        try:
            current.publish()
        finally:
            current.end()
            self._open = _OpenTransaction(self.store)

    async def rollback(self) -> None:
        self._current().end()
        self._open = _OpenTransaction(self.store)

    def _current(self) -> _OpenTransaction:
        if self._open is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._open
