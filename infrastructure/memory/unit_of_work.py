"""Transactions over the in-memory store."""

from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from infrastructure.memory.store import InMemoryStore, Transaction
from infrastructure.memory.users import InMemoryUserRepository


class InMemoryUnitOfWork:
    """A unit of work whose changes reach the store only on `commit()`.

    Pass one store to several units of work to let them see each other's
    commits; `store` is public so that a test can look at what was saved.
    """

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store if store is not None else InMemoryStore()
        self._transaction: Transaction | None = None
        self._users: InMemoryUserRepository | None = None

    @property
    def users(self) -> InMemoryUserRepository:
        if self._users is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._users

    async def __aenter__(self) -> Self:
        if self._users is not None:
            raise RuntimeError("the unit of work is already in use")
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._end(publish=False)

    async def commit(self) -> None:
        self._end(publish=True)
        self._begin()

    async def rollback(self) -> None:
        self._end(publish=False)
        self._begin()

    def _begin(self) -> None:
        self._transaction = Transaction()
        # `now()` in PostgreSQL is the start of the transaction; so is this.
        self._users = InMemoryUserRepository(self.store, self._transaction, datetime.now(UTC))

    def _end(self, *, publish: bool) -> None:
        if self._users is None or self._transaction is None:
            return
        if publish:
            self._users.publish()
        else:
            self._users.discard()
        self.store.release(self._transaction)
        self._users = self._transaction = None
