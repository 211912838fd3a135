"""A mailer for development: each mail goes to the log, where whoever runs the service reads
the link it carries, with no SMTP server to set up.

The log keeps one record on one line (infrastructure.observability.logging
escapes a line feed as `\\n` on the console, and JSON does too), so a mail's
lines, printed as they are, would come out as one run of `\\n`s. Instead a
paragraph's lines are joined by a space and paragraphs by ` | `: the same
readable line in both formats, with the link between two spaces, easy to
select.

It logs the single-use token in that link, which is its purpose: a service
with a real mailbox behind it has an SMTP server set, and then this mailer
is not used.
"""

import logging
import re
from typing import Final

from application.mail.ports import MailMessage

_log: Final = logging.getLogger(__name__)

PRODUCTION_WARNING: Final = (
    "No SMTP_HOST is set, so mail is written to the log instead of sent (the console mailer): "
    "no user receives a link, and every verification and reset token lands in the log. "
    "Set SMTP_HOST (docs/operations.md, Mail)."
)
"""What the app logs at start-up with ENVIRONMENT=production and no SMTP server."""

SEPARATOR: Final = " | "
"""Between the paragraphs of a mail's text in its record."""

_BLANK_LINES: Final = re.compile(r"\n\s*\n")


class ConsoleMailer:
    """Logs each mail at INFO, as one record: To, Subject, Message-ID and the text part."""

    async def send(self, message: MailMessage) -> None:
        _log.info(
            "Mail to %s, subject %r, Message-ID %s (logged, not sent: no SMTP server set): %s",
            message.to,
            message.subject,
            message.message_id,
            one_line(message.text),
        )


def one_line(text: str) -> str:
    """`text` on one line: each paragraph's lines joined by a space, paragraphs by SEPARATOR."""
    paragraphs = (" ".join(part.split()) for part in _BLANK_LINES.split(text))
    return SEPARATOR.join(paragraph for paragraph in paragraphs if paragraph)
