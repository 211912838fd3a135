"""A mail in the outbox: what to say to whom, and how its delivery is going."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID


class MailKind(StrEnum):
    """What a mail says; each has its templates (text and HTML)."""

    VERIFY_EMAIL = "verify-email"
    """To a new account's address: the link that proves it."""
    CONFIRM_NEW_EMAIL = "confirm-new-email"
    """To the address an account asked to move to: the link that makes it the account's."""
    EMAIL_CHANGE_REQUESTED = "email-change-requested"
    """To the address an account still has: someone asked to move it to `detail`."""
    RESET_PASSWORD = "reset-password"  # noqa: S105 - a kind of mail, not a secret
    """The link that sets a new password."""
    PASSWORD_WAS_RESET = "password-was-reset"  # noqa: S105 - a kind of mail, not a secret
    """A notice: the password was reset through a mailed link, and every session ended."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewMail:
    """A mail to write into the outbox, in the transaction of the change that causes it.

    It holds no secret: a link's token is derived again from `token_id` when
    the mail is sent (application.ports.MailTokenKeys), so the outbox can be
    read, backed up and retried without exposing one.
    """

    id: UUID
    """Also the mail's Message-ID, so a retry after an unknown outcome is recognisable."""
    user_id: int
    kind: MailKind
    recipient: str
    username: str
    """Whom the mail greets."""
    token_id: UUID | None = None
    """The single-use token the mail's link carries, for the kinds that have one."""
    valid_for: timedelta | None = None
    """How long that link works, as the mail says."""
    detail: str = ""
    """What the kind needs beyond that: the new address of an email change."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingMail(NewMail):
    """A mail as the outbox holds it, once claimed for a delivery attempt."""

    created_at: datetime
    attempts: int
    """Delivery attempts begun, this one included."""
    last_error: str = ""
