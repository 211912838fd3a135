"""The state of one open in-memory transaction, shared by its repositories."""

from datetime import UTC, datetime, timedelta
from typing import Final

from domain.idempotency import CreatedResource, IdempotencyRecord
from domain.posts import Post
from domain.users import User, UserNotFoundError
from infrastructure.memory.store import InMemoryStore, Key, LockMode, Transaction
from infrastructure.memory.table import TableView

_TICK: Final = timedelta(microseconds=1)


class OpenTransaction:
    """One transaction: its identity for locks, its start time, and its views of the tables."""

    def __init__(self, store: InMemoryStore, *, read_only: bool = False) -> None:
        self.store = store
        self.identity = Transaction()
        self.read_only = read_only
        """Opened by `reading()`: PostgreSQL would run each statement on its own."""
        # `now()` in PostgreSQL is the start of the transaction; so is this.
        self.now = datetime.now(UTC)
        self.users: TableView[int, User] = TableView(store.users)
        self.posts: TableView[int, Post] = TableView(store.posts)
        self.idempotency_keys: TableView[tuple[str, str], IdempotencyRecord] = TableView(
            store.idempotency_keys
        )

    def stamp_after(self, updated_at: datetime) -> datetime:
        """The time a change stores: `now`, but always past the version it replaces.

        As in PostgreSQL's adapter: a transaction that began first may change
        the row after one that began later, once the row's lock is free.
        """
        return max(self.now, updated_at + _TICK)

    def delete_records_of(self, created: set[CreatedResource]) -> None:
        """The ON DELETE CASCADE of idempotency_keys.user_id and post_id, in this transaction."""
        for record in [r for r in self.idempotency_keys.rows() if r.created in created]:
            self.idempotency_keys.remove((record.scope, record.key))

    async def lock(self, keys: list[Key], mode: LockMode = "exclusive") -> None:
        await self.store.lock(keys, self.identity, mode)

    def publish(self) -> None:
        """Apply the changes, with the foreign keys' check and cascades.

        The locks taken by the repositories make the check redundant in
        practice; it stays as the last guard against an orphan post.
        """
        new_posts = [post for post in self.posts.changes().values() if post is not None]
        deleted_users = {uid for uid, user in self.users.changes().items() if user is None}
        if any(self.users.get(post.author_id) is None for post in new_posts):
            raise UserNotFoundError
        self.users.publish()
        self.posts.publish()
        self.idempotency_keys.publish()
        cascaded = {CreatedResource("user", user_id) for user_id in deleted_users}
        for post in [p for p in self.store.posts.values() if p.author_id in deleted_users]:
            del self.store.posts[post.id]
            cascaded.add(CreatedResource("post", post.id))
        for at, record in list(self.store.idempotency_keys.items()):
            if record.created in cascaded:
                del self.store.idempotency_keys[at]

    def end(self) -> None:
        """Drop what was not published and release the locks."""
        self.users.discard()
        self.posts.discard()
        self.idempotency_keys.discard()
        self.store.release(self.identity)
