"""The state of one open in-memory transaction, shared by its repositories."""

from collections.abc import Hashable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from domain.audit import AuditEvent
from domain.idempotency import IdempotencyRecord
from domain.posts import Post
from domain.sessions import Session
from domain.users import User
from infrastructure.memory.schema import (
    TABLES,
    ForeignKeyViolationError,
    OutboxRow,
    RefreshToken,
    StoredMailToken,
)
from infrastructure.memory.store import InMemoryStore, Key, LockMode, Transaction
from infrastructure.memory.table import TableView

_TICK: Final = timedelta(microseconds=1)
_KEYS: Final = {table.name: table.key for table in TABLES}


class OpenTransaction:
    """One transaction: its identity for locks, its start time, and its views of the tables.

    The same object serves one block from start to end: a commit publishes
    and begins the next transaction in place, so the repositories built on it
    keep working, as a PostgreSQL connection goes on after COMMIT.
    """

    def __init__(self, store: InMemoryStore, *, read_only: bool = False) -> None:
        self.store = store
        self.read_only = read_only
        """Opened by `read()`: PostgreSQL would run each statement on its own."""
        self._views: dict[str, TableView[Any, Any]] = {}
        self.users: TableView[int, User] = self._view("users")
        self.posts: TableView[int, Post] = self._view("posts")
        self.idempotency_keys: TableView[tuple[str, str], IdempotencyRecord] = self._view(
            "idempotency_keys"
        )
        self.sessions: TableView[UUID, Session] = self._view("sessions")
        self.refresh_tokens: TableView[bytes, RefreshToken] = self._view("refresh_tokens")
        self.audit_events: TableView[int, AuditEvent] = self._view("audit_events")
        self.mail_tokens: TableView[UUID, StoredMailToken] = self._view("mail_tokens")
        self.outbox: TableView[UUID, OutboxRow] = self._view("outbox")
        self.begin()

    def _view(self, name: str) -> TableView[Any, Any]:
        view: TableView[Any, Any] = TableView(self.store.table(name))
        self._views[name] = view
        return view

    def begin(self) -> None:
        self.identity = Transaction()
        # `now()` in PostgreSQL is the start of the transaction; so is this.
        self.now = datetime.now(UTC)

    def stamp_after(self, updated_at: datetime) -> datetime:
        """The time a change stores: `now`, but always past the version it replaces.

        As in PostgreSQL's adapter: a transaction that began first may change
        the row after one that began later, once the row's lock is free.
        """
        return max(self.now, updated_at + _TICK)

    async def lock(self, keys: list[Key], mode: LockMode = "exclusive") -> None:
        await self.store.lock(keys, self.identity, mode)

    def delete(self, table: str, key: Hashable) -> None:
        """Delete a row in this transaction, with what the foreign keys pointing at it say."""
        self._views[table].remove(key)
        for foreign_key in self.store.foreign_keys:
            if foreign_key.parent != table:
                continue
            children = self._views[foreign_key.table]
            for child in [r for r in children.rows() if foreign_key.parent_of(r) == key]:
                child_key = _KEYS[foreign_key.table](child)
                if foreign_key.on_delete == "cascade":
                    self.delete(foreign_key.table, child_key)
                elif foreign_key.on_delete == "set null":
                    children.put(child_key, replace(child, **{foreign_key.column: None}))
                else:
                    raise ForeignKeyViolationError(
                        f"{foreign_key.table}.{foreign_key.column} still points at {table} {key}"
                    )

    def commit(self) -> None:
        """Publish the changes, then begin the next transaction."""
        try:
            self._publish()
        finally:
            self.end()
            self.begin()

    def _publish(self) -> None:
        """Apply the changes, with the foreign keys' check and cascades.

        The locks taken by the repositories make the check redundant in
        practice; it stays as the last guard against a dangling reference.
        The cascades run again on the committed rows, for children committed
        by others meanwhile.
        """
        for foreign_key in self.store.foreign_keys:
            parents = self._views[foreign_key.parent]
            for child in self._views[foreign_key.table].changes().values():
                if child is None:
                    continue
                parent = foreign_key.parent_of(child)
                if parent is not None and parents.get(parent) is None:
                    raise foreign_key.error()
        deleted = [
            (name, key)
            for name, view in self._views.items()
            for key, row in view.changes().items()
            if row is None
        ]
        for view in self._views.values():
            view.publish()
        for name, key in deleted:
            self._cascade_committed(name, key)

    def _cascade_committed(self, table: str, key: Hashable) -> None:
        for foreign_key in self.store.foreign_keys:
            if foreign_key.parent != table:
                continue
            rows = self.store.table(foreign_key.table)
            for child_key, child in list(rows.items()):
                if foreign_key.parent_of(child) != key or foreign_key.on_delete == "restrict":
                    continue
                if foreign_key.on_delete == "set null":
                    rows[child_key] = replace(child, **{foreign_key.column: None})
                else:
                    del rows[child_key]
                    self._cascade_committed(foreign_key.table, child_key)

    def end(self) -> None:
        """Drop what was not published and release the locks."""
        for view in self._views.values():
            view.discard()
        self.store.release(self.identity)
