"""The port that makes a use case atomic."""

from types import TracebackType
from typing import Protocol, Self

from domain.idempotency.repository import IdempotencyKeyRepository
from domain.posts.repository import PostRepository
from domain.users.repository import UserRepository


class UnitOfWork(Protocol):
    """One transaction, and the repositories that work inside it.

    Use it as `async with uow:`; leaving the block without `commit()`, or
    through an exception, rolls everything back. A unit of work can be entered
    again after it has been left, each time as a new transaction.
    """

    @property
    def users(self) -> UserRepository:
        """The users, as this transaction sees them."""
        ...

    @property
    def posts(self) -> PostRepository:
        """The posts, as this transaction sees them."""
        ...

    @property
    def idempotency_keys(self) -> IdempotencyKeyRepository:
        """The idempotency keys, stored in the same transaction as what their requests created."""
        ...

    def reading(self, *, may_lag: bool = False) -> Self:
        """Make the next `async with` a read without a transaction.

        For use cases that only read: no BEGIN and no ROLLBACK around their
        statements, which halves the round trips of a single-query read. Each
        statement sees the latest committed data; `commit()` is refused.

        `may_lag=True` says the use case can answer from data a moment old, so
        a deployment with a read replica may serve it there: the caller might
        not see a write it has just made. Reads that decide who the caller is
        or whether a write may go ahead leave it False.
        """
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make the work done so far durable."""
        ...

    async def rollback(self) -> None:
        """Discard the work done so far."""
        ...
