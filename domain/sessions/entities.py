"""A session: what one login started, until it expires or is revoked."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID


class RevocationReason(StrEnum):
    """Why a session ended before its expiry; stored with it, and shown to its owner."""

    LOGOUT = "logout"
    REVOKED_BY_OWNER = "revoked-by-owner"
    """From the list of sessions: one of them, or all but the caller's."""
    PASSWORD_CHANGED = "password-changed"  # noqa: S105 - a reason, not a secret
    """Every session but the one that changed the password."""
    PASSWORD_RESET = "password-reset"  # noqa: S105 - a reason, not a secret
    """Every session: the password was set through a mailed link, not by a session."""
    REFRESH_TOKEN_REUSED = "refresh-token-reused"  # noqa: S105 - a reason, not a secret
    """A spent refresh token came back: whoever holds the session's tokens may be a thief."""
    ACCOUNT_DEACTIVATED = "account-deactivated"
    """An admin deactivated the account: every session of it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who makes a request: an account, and the session its access token was issued in.

    `session_id` is None only for callers inside the service (the command
    line, a seed script), which no login identifies and nothing can revoke.
    """

    user_id: int
    session_id: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSession:
    """A session about to be stored with the first refresh token of a login."""

    id: UUID
    user_id: int
    lifetime: timedelta
    """From the moment it is stored, at the database's clock, which also decides expiry."""
    user_agent: str
    """As `rules.trim_user_agent` leaves it."""
    client_network: str
    """The client's address, widened to a network (a /24, an IPv6 /48): enough for its owner
    to recognise a session, not enough to locate them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A stored session. Its refresh tokens are stored apart, as hashes only."""

    id: UUID
    user_id: int
    created_at: datetime
    last_used_at: datetime
    """The login, or the last refresh: an access token lives ACCESS_TOKEN_EXPIRE_MINUTES,
    so a session in use is refreshed about that often."""
    expires_at: datetime
    user_agent: str
    client_network: str
    revoked_at: datetime | None = None
    revoked_reason: RevocationReason | None = None

    def is_live(self, now: datetime) -> bool:
        """Neither revoked nor expired: its tokens still work."""
        return self.revoked_at is None and now < self.expires_at
