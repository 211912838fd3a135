"""What delivering the outbox needs from outside: a way to compose mails and one to send them."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from application.ports import OpaqueSecret
from domain.mail import OutgoingMail


@dataclass(frozen=True, slots=True, kw_only=True)
class MailMessage:
    """A mail ready to go: plain text with an HTML alternative."""

    message_id: str
    """`<id@domain>`, the same on every attempt to send one mail of the outbox."""
    to: str
    subject: str
    text: str
    html: str


class MailDeliveryError(Exception):
    """The mail did not go out.

    `permanent` says that trying again cannot help (the server refused the
    recipient for good, a 5xx answer to it); otherwise it may go out later
    (the server is down, slow, or said 4xx).
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Mailer(Protocol):
    """Hands mails to whatever delivers them: an SMTP server, or the log of a developer."""

    async def send(self, message: MailMessage) -> None:
        """Deliver `message`, or raise MailDeliveryError; it never raises anything else
        for a failure of delivery."""
        ...


class MailComposer(Protocol):
    """Turns an outbox entry into the mail its kind says, from the templates."""

    def compose(self, mail: OutgoingMail, *, token: str | None) -> MailMessage:
        """The mail; `token` is the single-use token of the mail's link, for kinds with one."""
        ...


class MailTokenKeys(Protocol):
    """Single-use tokens derived from their id and the service's secret key.

    The outbox stores only a token's id; the sender derives the token again
    when it composes the mail, and the token's digest is what the tokens'
    table stores. Neither the outbox nor that table holds a usable token.
    """

    def derive(self, token_id: UUID) -> OpaqueSecret:
        """The token of `token_id` and its digest; the same pair every time."""
        ...

    def digest(self, token: str) -> bytes | None:
        """The digest to look `token` up by; None for a string `derive` could never make."""
        ...


class DeliveryOutcome(StrEnum):
    """How one attempt at a mail ended."""

    SENT = "sent"
    RETRY = "retry"
    """Not sent this time; it is due again after a wait."""
    GIVEN_UP = "given-up"


class DeliveryTracing(Protocol):
    """What the sender shows of its work in traces.

    Each serving process looks at the outbox every few seconds: traced, the
    looks would be a trace each, nearly all of them empty, burying the
    requests' traces. A mail's delivery is worth a trace of its own.
    """

    def claiming(self) -> AbstractContextManager[None]:
        """Around a claim of the mail that is due, which makes no trace."""
        ...

    def delivering(
        self, mail: OutgoingMail
    ) -> AbstractContextManager[Callable[[DeliveryOutcome], None]]:
        """Around one attempt at `mail` and the storing of its outcome, a trace of its own;
        what it gives is told the outcome."""
        ...
