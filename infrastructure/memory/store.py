"""What the in-memory "database" holds: committed rows, sequences and locks."""

import asyncio
import itertools
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from domain.audit import AuditEvent
from domain.idempotency import IdempotencyRecord
from domain.posts import Post
from domain.sessions import Session
from domain.users import User
from infrastructure.memory.schema import (
    FOREIGN_KEYS,
    ForeignKey,
    OutboxRow,
    RefreshToken,
    StoredMailToken,
)

Key = tuple[str, object]
"""What a transaction can lock: ("email", value), ("users", id), ..."""

LockMode = Literal["share", "exclusive"]


class Transaction:
    """A unit of work's presence in the store, for others to wait on."""

    def __init__(self) -> None:
        self.finished = asyncio.Event()


@dataclass
class InMemoryStore:
    """Committed rows, the sequences that number them, and the keys open transactions lock.

    Share one store between units of work to share data, as processes share
    a database; give each test its own store for isolation. Like the rest of
    asyncio code it belongs to one event loop and is not thread-safe.

    Each table of `schema.TABLES` is the field of its name.
    """

    users: dict[int, User] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    user_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    post_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    idempotency_keys: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    sessions: dict[UUID, Session] = field(default_factory=dict)
    refresh_tokens: dict[bytes, RefreshToken] = field(default_factory=dict)
    audit_events: dict[int, AuditEvent] = field(default_factory=dict)
    audit_event_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    mail_tokens: dict[UUID, StoredMailToken] = field(default_factory=dict)
    outbox: dict[UUID, OutboxRow] = field(default_factory=dict)
    locks: dict[Key, dict[Transaction, LockMode]] = field(default_factory=dict)
    foreign_keys: tuple[ForeignKey, ...] = FOREIGN_KEYS

    def table(self, name: str) -> dict[Hashable, Any]:
        """The committed rows of the table `name`, by key."""
        rows: dict[Hashable, Any] = getattr(self, name)
        return rows

    async def lock(
        self, keys: list[Key], transaction: Transaction, mode: LockMode = "exclusive"
    ) -> None:
        """Wait until no other open transaction holds `keys` in a conflicting mode, then hold them.

        This is how PostgreSQL treats a second insert of a unique value, a
        second update of a row, or the delete of a row that a new foreign key
        points to: it waits for the first transaction to end, then sees its
        outcome. So the first writer wins, not the first to commit. Shared
        locks only conflict with exclusive ones, as a foreign key's KEY SHARE
        lock lets many inserts point to one row at once.
        """
        while (blocker := self._blocker(keys, transaction, mode)) is not None:
            await blocker.finished.wait()
        self._hold(keys, transaction, mode)

    def try_lock(
        self,
        keys: list[Key],
        transaction: Transaction,
        mode: LockMode = "exclusive",
        *,
        hold: bool = True,
    ) -> bool:
        """Hold `keys` if no other open transaction holds them in a conflicting mode; never wait.

        PostgreSQL's `pg_try_advisory_xact_lock`. With `hold=False` it only
        tells whether the keys are free, as that lock taken outside a
        transaction is let go at the end of its statement.
        """
        if self._blocker(keys, transaction, mode) is not None:
            return False
        if hold:
            self._hold(keys, transaction, mode)
        return True

    def _hold(self, keys: list[Key], transaction: Transaction, mode: LockMode) -> None:
        for key in keys:
            holders = self.locks.setdefault(key, {})
            if holders.get(transaction) != "exclusive":
                holders[transaction] = mode

    def release(self, transaction: Transaction) -> None:
        """Let go of every key `transaction` holds and wake whoever waits on it."""
        for key in list(self.locks):
            holders = self.locks[key]
            holders.pop(transaction, None)
            if not holders:
                del self.locks[key]
        transaction.finished.set()

    def _blocker(
        self, keys: list[Key], transaction: Transaction, mode: LockMode
    ) -> Transaction | None:
        for key in keys:
            for other, held in self.locks.get(key, {}).items():
                if other is not transaction and "exclusive" in (mode, held):
                    return other
        return None
