"""Blocks of work over the in-memory store, shaped as PostgreSQL's adapter shapes them."""

from types import TracebackType
from typing import Final, Self

from infrastructure.memory.audit import InMemoryAuditRepository
from infrastructure.memory.idempotency import InMemoryIdempotencyKeyRepository
from infrastructure.memory.mail import InMemoryMailTokenRepository, InMemoryOutboxRepository
from infrastructure.memory.posts import InMemoryPostRepository
from infrastructure.memory.sessions import InMemorySessionRepository
from infrastructure.memory.store import InMemoryStore
from infrastructure.memory.transaction import OpenTransaction
from infrastructure.memory.users import InMemoryUserRepository


class InMemoryRepositories:
    """The repositories of one block, on its transaction: a new repository is one line here."""

    def __init__(self, transaction: OpenTransaction) -> None:
        self.users: Final = InMemoryUserRepository(transaction)
        self.posts: Final = InMemoryPostRepository(transaction)
        self.sessions: Final = InMemorySessionRepository(transaction)
        self.audit: Final = InMemoryAuditRepository(transaction)
        self.idempotency_keys: Final = InMemoryIdempotencyKeyRepository(transaction)
        self.mail_tokens: Final = InMemoryMailTokenRepository(transaction)
        self.outbox: Final = InMemoryOutboxRepository(transaction)


class InMemoryUnitOfWork:
    """Opens blocks whose changes reach the store only on `commit()`.

    Pass one store to several units of work (or share one unit of work) to
    let them see each other's commits; `store` is public so that a test can
    look at what was saved.
    """

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store if store is not None else InMemoryStore()

    def read(self, *, may_lag: bool = False) -> "InMemoryReading":
        """One store has no replica: `may_lag` reads are as current as any."""
        return InMemoryReading(self.store)

    def write(self) -> "InMemoryTransaction":
        return InMemoryTransaction(self.store)


class _Block(InMemoryRepositories):
    _read_only = False

    def __init__(self, store: InMemoryStore) -> None:
        self._transaction = OpenTransaction(store, read_only=self._read_only)
        self._open = False
        super().__init__(self._transaction)

    async def __aenter__(self) -> Self:
        if self._open:
            raise RuntimeError("the block is already in use")
        self._open = True
        self._transaction.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._open = False
        self._transaction.end()


class InMemoryReading(_Block):
    """A block of reads; a claimed idempotency key is let go at once, as in autocommit."""

    _read_only = True


class InMemoryTransaction(_Block):
    """A block that is one transaction, rolled back unless committed."""

    async def commit(self) -> None:
        if not self._open:
            raise RuntimeError("the transaction is used outside its `async with` block")
        self._transaction.commit()
