"""What the in-memory "database" holds: committed rows, sequences and locks."""

import asyncio
import itertools
from dataclasses import dataclass, field

from domain.posts import Post
from domain.users import User

Key = tuple[str, object]
"""What a transaction can lock: ("email", value), ("users", id), ..."""


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
    """

    users: dict[int, User] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    user_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    post_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    locks: dict[Key, Transaction] = field(default_factory=dict)

    async def lock(self, keys: list[Key], transaction: Transaction) -> None:
        """Wait until no other open transaction holds any of `keys`, then hold them.

        This is how PostgreSQL treats a second insert of a unique value, or a
        second update of a row: it waits for the first transaction to end,
        then sees its outcome. So the first writer wins, not the first to commit.
        """
        while True:
            holder = next(
                (
                    other
                    for key in keys
                    if (other := self.locks.get(key)) is not None and other is not transaction
                ),
                None,
            )
            if holder is None:
                break
            await holder.finished.wait()
        for key in keys:
            self.locks[key] = transaction

    def release(self, transaction: Transaction) -> None:
        """Let go of every key `transaction` holds and wake whoever waits on it."""
        for key in [key for key, holder in self.locks.items() if holder is transaction]:
            del self.locks[key]
        transaction.finished.set()
