"""What the audit trail keeps of an event: what happened, who did it, to what, from where."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

DETAIL_MAX_LENGTH: Final = 500
TARGET_MAX_LENGTH: Final = 64
REQUEST_ID_MAX_LENGTH: Final = 128


class AuditKind(StrEnum):
    LOGIN_SUCCEEDED = "login-succeeded"
    LOGIN_FAILED = "login-failed"
    PASSWORD_CHANGED = "password-changed"  # noqa: S105 - an event, not a secret
    PASSWORD_RESET = "password-reset"  # noqa: S105 - an event, not a secret
    """Through a mailed link, by whoever read the account's mailbox."""
    EMAIL_CHANGED = "email-changed"
    """A move to a new address, proven by a link mailed there."""
    SESSIONS_REVOKED = "sessions-revoked"
    ROLE_CHANGED = "role-changed"
    ACTIVITY_CHANGED = "activity-changed"
    POST_REMOVED = "post-removed"
    """By an admin, who gave a reason (the event's detail)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """Where a request came from, as the interface can tell: what ties an event to a log line
    (the request id) and to a place (the client's network, as a session keeps it)."""

    request_id: str = ""
    client_network: str = ""


def user_target(user_id: int) -> str:
    return f"user:{user_id}"


def post_target(post_id: int) -> str:
    return f"post:{post_id}"


def session_target(session_id: UUID) -> str:
    return f"session:{session_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAuditEvent:
    kind: AuditKind
    actor_id: int | None
    """Who did it; None for the command line, or a login to no known account."""
    target: str
    """What it was done to: `user:7`, `post:42`, `session:<id>`."""
    detail: str = ""
    """What the kind alone does not say: the new role, why sessions ended, a moderator's
    reason. Never a secret: no password, token or code."""
    origin: Origin = field(default_factory=Origin)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """A recorded event; events are never changed or deleted."""

    id: int
    at: datetime
    kind: AuditKind
    actor_id: int | None
    target: str
    detail: str
    request_id: str
    client_network: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    """What a listing of the trail keeps; each field left None keeps every event."""

    actor_id: int | None = None
    target: str | None = None
    kind: AuditKind | None = None
