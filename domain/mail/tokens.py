"""Single-use tokens that a mailed link carries: proof of an address, or of a mailbox's owner."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify-email"
    """Proves `email`: the account's address, or the one it asked to move to."""
    RESET_PASSWORD = "reset-password"  # noqa: S105 - a purpose, not a secret
    """Sets a new password for the account whose address `email` received it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewMailToken:
    """A token about to be stored: only its digest, never the token."""

    id: UUID
    digest: bytes
    user_id: int
    purpose: TokenPurpose
    email: str
    """The address the token is mailed to, which spending it proves."""
    lifetime: timedelta
    """From the moment it is stored, at the database's clock, which also decides expiry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MailToken:
    id: UUID
    user_id: int
    purpose: TokenPurpose
    email: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
