"""Mail the service owes its users, and the single-use tokens some of it carries.

A mail is owed from the moment the change that causes it commits: it is
written in that transaction (the outbox), and delivered from there.
"""

from domain.mail.entities import MailKind, NewMail, OutgoingMail
from domain.mail.errors import InvalidMailTokenError
from domain.mail.repository import MailTokenRepository, OutboxRepository
from domain.mail.tokens import MailToken, NewMailToken, TokenPurpose

__all__ = [
    "InvalidMailTokenError",
    "MailKind",
    "MailToken",
    "MailTokenRepository",
    "NewMail",
    "NewMailToken",
    "OutboxRepository",
    "OutgoingMail",
    "TokenPurpose",
]
