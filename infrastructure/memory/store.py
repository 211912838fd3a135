"""What the in-memory "database" holds: committed rows, sequences and unique-key claims."""

import asyncio
import itertools
from dataclasses import dataclass, field

from domain.users import User


class Transaction:
    """A unit of work's presence in the store, for others to wait on.

    PostgreSQL makes a second insert of a unique key wait until the first
    inserter's transaction ends, then fail if it committed or go on if it
    rolled back. Claims and this event give the in-memory adapter the same
    behaviour, so the first to insert wins, not the first to commit.
    """

    def __init__(self) -> None:
        self.finished = asyncio.Event()


@dataclass
class InMemoryStore:
    """Committed rows, the sequences that number them, and uncommitted unique keys.

    Share one store between units of work to share data, as processes share
    a database; give each test its own store for isolation. Like the rest of
    asyncio code it belongs to one event loop and is not thread-safe.
    """

    users: dict[int, User] = field(default_factory=dict)
    user_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    claims: dict[tuple[str, str], Transaction] = field(default_factory=dict)

    async def claim(self, keys: list[tuple[str, str]], transaction: Transaction) -> None:
        """Wait until no other open transaction holds any of `keys`, then hold them."""
        while True:
            holder = next(
                (
                    other
                    for key in keys
                    if (other := self.claims.get(key)) is not None and other is not transaction
                ),
                None,
            )
            if holder is None:
                break
            await holder.finished.wait()
        for key in keys:
            self.claims[key] = transaction

    def release(self, transaction: Transaction) -> None:
        """Let go of every key `transaction` holds and wake whoever waits on it."""
        for key in [key for key, holder in self.claims.items() if holder is transaction]:
            del self.claims[key]
        transaction.finished.set()
