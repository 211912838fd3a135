"""The mail side of a service under test: its letters, its sender, and a mailer that keeps
what it is given (for unit tests; HTTP and resilience tests use a real SMTP server)."""

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta

from application.mail.letters import Letters
from application.mail.ports import MailDeliveryError, MailMessage
from application.mail.sender import Delivery, OutboxSender
from application.unit_of_work import UnitOfWork
from infrastructure.mail.composer import TemplateComposer
from infrastructure.security.mail_token_keys import HmacMailTokenKeys

TEST_KEY = "mail-token-key-of-the-tests-only-0123456789"
BASE_URL = "http://127.0.0.1:8000"
_TOKEN_IN_LINK = re.compile(r"#token=([A-Za-z0-9_-]{43})")


class RecordingMailer:
    """A Mailer that keeps every message; `failures` are raised first, one per send."""

    def __init__(self) -> None:
        self.sent: list[MailMessage] = []
        self.failures: deque[MailDeliveryError] = deque()

    async def send(self, message: MailMessage) -> None:
        if self.failures:
            raise self.failures.popleft()
        self.sent.append(message)

    def to(self, address: str) -> list[MailMessage]:
        return [message for message in self.sent if message.to == address]


def token_of(message: MailMessage) -> str:
    """The single-use token in the message's link."""
    found = _TOKEN_IN_LINK.search(message.text)
    assert found is not None, f"no link with a token in: {message.text!r}"
    return found.group(1)


@dataclass
class Post:
    """Letters and a sender on one unit of work, as the container builds them."""

    uow: UnitOfWork
    mailer: RecordingMailer = field(default_factory=RecordingMailer)
    delivery: Delivery = field(
        default_factory=lambda: Delivery(first_retry=timedelta(0), max_attempts=3)
    )
    keys: HmacMailTokenKeys = field(default_factory=lambda: HmacMailTokenKeys(TEST_KEY))

    def __post_init__(self) -> None:
        self.letters = Letters(self.keys)
        composer = TemplateComposer(
            service_name="Users and Posts",
            public_base_url=BASE_URL,
            mail_from="Users and Posts <no-reply@example.com>",
        )
        self.sender = OutboxSender(
            self.uow, self.mailer, composer, self.keys, delivery=self.delivery
        )

    async def deliver(self) -> list[MailMessage]:
        """Send what is due; return what went out in this pass."""
        before = len(self.mailer.sent)
        await self.sender.send_due()
        return self.mailer.sent[before:]
