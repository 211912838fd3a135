"""Transactions over the in-memory store."""

from types import TracebackType
from typing import Final, Self

from infrastructure.memory.idempotency import InMemoryIdempotencyKeyRepository
from infrastructure.memory.posts import InMemoryPostRepository
from infrastructure.memory.store import InMemoryStore
from infrastructure.memory.transaction import OpenTransaction
from infrastructure.memory.users import InMemoryUserRepository

_OUTSIDE: Final = "the unit of work is used outside `async with`"


class InMemoryUnitOfWork:
    """A unit of work whose changes reach the store only on `commit()`.

    Pass one store to several units of work to let them see each other's
    commits; `store` is public so that a test can look at what was saved.
    """

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store if store is not None else InMemoryStore()
        self._transaction: OpenTransaction | None = None
        self._users: InMemoryUserRepository | None = None
        self._posts: InMemoryPostRepository | None = None
        self._idempotency_keys: InMemoryIdempotencyKeyRepository | None = None
        self._read_only = False

    def reading(self, *, may_lag: bool = False) -> Self:
        """One store has no replica: `may_lag` reads are as current as any."""
        self._read_only = True
        return self

    @property
    def users(self) -> InMemoryUserRepository:
        if self._users is None:
            raise RuntimeError(_OUTSIDE)
        return self._users

    @property
    def posts(self) -> InMemoryPostRepository:
        if self._posts is None:
            raise RuntimeError(_OUTSIDE)
        return self._posts

    @property
    def idempotency_keys(self) -> InMemoryIdempotencyKeyRepository:
        if self._idempotency_keys is None:
            raise RuntimeError(_OUTSIDE)
        return self._idempotency_keys

    async def __aenter__(self) -> Self:
        if self._transaction is not None:
            raise RuntimeError("the unit of work is already in use")
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._transaction is not None:
            self._transaction.end()
        self._transaction = self._users = self._posts = self._idempotency_keys = None
        self._read_only = False

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a unit of work opened with reading() cannot commit")
        transaction = self._current()
        try:
            transaction.publish()
        finally:
            transaction.end()
            self._begin()

    async def rollback(self) -> None:
        self._current().end()
        self._begin()

    def _begin(self) -> None:
        self._transaction = OpenTransaction(self.store, read_only=self._read_only)
        self._users = InMemoryUserRepository(self._transaction)
        self._posts = InMemoryPostRepository(self._transaction)
        self._idempotency_keys = InMemoryIdempotencyKeyRepository(self._transaction)

    def _current(self) -> OpenTransaction:
        if self._transaction is None:
            raise RuntimeError(_OUTSIDE)
        return self._transaction
