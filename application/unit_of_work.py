"""The port that makes a use case atomic: blocks that say, where they open, what they do."""

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from domain.audit.repository import AuditRepository
from domain.idempotency.repository import IdempotencyKeyRepository
from domain.mail.repository import MailTokenRepository, OutboxRepository
from domain.posts.repository import PostRepository
from domain.sessions.repository import SessionRepository
from domain.users.repository import UserRepository


class Repositories(Protocol):
    """The repositories of one block, all working on the same connection or transaction.

    What `UnitOfWork.read()` yields: reads only, with nothing to commit.
    """

    @property
    def users(self) -> UserRepository:
        """The users, as this block sees them."""
        ...

    @property
    def posts(self) -> PostRepository:
        """The posts, as this block sees them."""
        ...

    @property
    def sessions(self) -> SessionRepository:
        """The sessions and their refresh tokens, as this block sees them."""
        ...

    @property
    def audit(self) -> AuditRepository:
        """The audit trail, appended to in the transaction of the change it records."""
        ...

    @property
    def idempotency_keys(self) -> IdempotencyKeyRepository:
        """The idempotency keys, stored in the same transaction as what their requests created."""
        ...

    @property
    def mail_tokens(self) -> MailTokenRepository:
        """The single-use tokens of mailed links, as digests."""
        ...

    @property
    def outbox(self) -> OutboxRepository:
        """Mail owed, written in the transaction of the change that owes it."""
        ...


class Transaction(Repositories, Protocol):
    """What `UnitOfWork.write()` yields: the repositories in one transaction, and its commit."""

    async def commit(self) -> None:
        """Make the work done so far durable; the block may go on, in a new transaction.

        Leaving the block without it, or through an exception, rolls back.
        The use case commits, once, where its work is complete: never a
        repository, nor a helper it calls.
        """
        ...


class UnitOfWork(Protocol):
    """Opens blocks of work on storage; it holds no state of its own, so one serves everyone.

    Each call opens a new block: `async with uow.write() as tx:` is one
    transaction, `async with uow.read() as repos:` a read without one.
    """

    def read(self, *, may_lag: bool = False) -> AbstractAsyncContextManager[Repositories]:
        """A block that only reads, with no transaction around its statements.

        No BEGIN and no ROLLBACK around them, which halves the round trips of
        a single-query read. Each statement sees the latest committed data.

        `may_lag=True` says the use case can answer from data a moment old, so
        a deployment with a read replica may serve it there: the caller might
        not see a write it has just made. Reads that decide who the caller is
        or whether a write may go ahead leave it False.
        """
        ...

    def write(self) -> AbstractAsyncContextManager[Transaction]:
        """A block that is one transaction on the primary, rolled back unless committed."""
        ...
