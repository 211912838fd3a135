"""The in-memory tables and the foreign keys between them, declared as data.

The counterpart of `infrastructure/persistence/tables.py`: what identifies a
row of each table, and which column of which table points at which other,
with what deleting the row it points at does. `OpenTransaction` applies them
all alike (checks on commit, cascades on delete), so a new table or foreign
key is a line here, not code in a repository.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, Final, Literal
from uuid import UUID

from domain.idempotency import CreatedResource, IdempotencyRecord
from domain.mail import MailToken, OutgoingMail
from domain.users import UserNotFoundError

OnDelete = Literal["cascade", "restrict", "set null"]


class ForeignKeyViolationError(RuntimeError):
    """A row points at one that does not exist, or would: a bug, as in PostgreSQL."""


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    key: Callable[[Any], Hashable]
    """The row's primary key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ForeignKey:
    """`table.column` points at a row of `parent`; deleting that row does `on_delete`.

    `points_at` reads the column off a row when it is not an attribute of the
    entity (an idempotency record names what it created as one value); "set
    null" needs a real attribute to clear. `error` is what a dangling
    reference raises, as the repositories translate PostgreSQL's constraint.
    """

    table: str
    column: str
    parent: str
    on_delete: OnDelete = "cascade"
    points_at: Callable[[Any], Hashable | None] | None = None
    error: Callable[[], Exception] = ForeignKeyViolationError

    def __post_init__(self) -> None:
        if self.on_delete == "set null" and self.points_at is not None:
            raise ValueError("ON DELETE SET NULL clears an attribute: give no `points_at`")

    def parent_of(self, row: Any) -> Hashable | None:
        """The key of the parent row `row` points at, or None."""
        read = self.points_at or attrgetter(self.column)
        return read(row)


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshToken:
    """A row of `refresh_tokens`, which no entity stands for: the domain never reads one."""

    digest: bytes
    session_id: UUID
    issued_at: datetime
    spent_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredMailToken:
    """A row of `mail_tokens`: the token as the domain reads it, and the digest it is found by."""

    digest: bytes
    token: MailToken


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    """A row of `outbox`: the mail, and where its delivery stands."""

    mail: OutgoingMail
    due_at: datetime
    sent_at: datetime | None = None
    failed_at: datetime | None = None

    @property
    def owed(self) -> bool:
        return self.sent_at is None and self.failed_at is None


def _created(kind: str) -> Callable[[IdempotencyRecord], int | None]:
    def points_at(record: IdempotencyRecord) -> int | None:
        created: CreatedResource = record.created
        return created.id if created.kind == kind else None

    return points_at


TABLES: Final = (
    Table("users", key=attrgetter("id")),
    Table("posts", key=attrgetter("id")),
    Table("idempotency_keys", key=lambda record: (record.scope, record.key)),
    Table("sessions", key=attrgetter("id")),
    Table("refresh_tokens", key=attrgetter("digest")),
    Table("audit_events", key=attrgetter("id")),
    Table("mail_tokens", key=attrgetter("token.id")),
    Table("outbox", key=attrgetter("mail.id")),
)

FOREIGN_KEYS: Final = (
    ForeignKey(table="posts", column="author_id", parent="users", error=UserNotFoundError),
    ForeignKey(
        table="idempotency_keys", column="user_id", parent="users", points_at=_created("user")
    ),
    ForeignKey(
        table="idempotency_keys", column="post_id", parent="posts", points_at=_created("post")
    ),
    ForeignKey(table="sessions", column="user_id", parent="users"),
    ForeignKey(table="refresh_tokens", column="session_id", parent="sessions"),
    ForeignKey(
        table="mail_tokens", column="user_id", parent="users", points_at=attrgetter("token.user_id")
    ),
    ForeignKey(
        table="outbox", column="user_id", parent="users", points_at=attrgetter("mail.user_id")
    ),
)
