"""Delivery through an SMTP server, the relay of the operator's choice, with aiosmtplib.

One connection per mail: the outbox sends few mails, seldom in bursts, and a
connection of its own leaves no idle session to go stale between two of them.

Every failure becomes a MailDeliveryError whose `permanent` says whether a
retry can help. Only a 5xx answer about this mail, to its recipient or to its
content, is permanent. A 5xx to the sender's address or to AUTH is a fault of
the configuration: once an operator fixes it, every mail that waited should
still go. A reason names the step that failed and the server's answer, never
the body (its link holds a single-use token) nor the password.
"""

import asyncio
import contextlib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Final, Literal

import aiosmtplib
from aiosmtplib.email import parse_address

from application.mail.ports import MailDeliveryError, MailMessage

TlsMode = Literal["none", "starttls", "tls"]
"""`none`: plain text (a relay on the same host); `starttls`: upgrade after connecting
(port 587); `tls`: TLS from the first byte (port 465)."""

_TLS_MODES: Final = frozenset({"none", "starttls", "tls"})

QUIT_TIMEOUT: Final = 2.0
"""Seconds to wait for QUIT's answer. The mail is the server's once DATA is accepted, so
QUIT is a courtesy: an error or silence there must neither fail nor delay the delivery."""

_ANSWER_LENGTH: Final = 200
"""Enough of a server's answer to tell why; it goes into the outbox's `last_error`."""


class SmtpMailer:
    """Hands each mail to one SMTP server, within `timeout` seconds all told.

    `timeout` bounds the whole delivery (connecting, TLS, AUTH and every
    command), not each step: a server that answers each command just in time
    would otherwise hold an outbox worker for many timeouts. `tls_context`
    replaces the default verification (the system's CAs, and the host name)
    for an operator's own CA; without it certificates are verified as
    aiosmtplib does by default.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        mail_from: str,
        username: str | None = None,
        password: str | None = None,
        tls: TlsMode = "starttls",
        timeout: float = 10.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if tls not in _TLS_MODES:
            raise ValueError(f"tls must be one of {sorted(_TLS_MODES)}, not {tls!r}")
        if (username is None) != (password is None):
            raise ValueError("SMTP AUTH needs both a username and a password, or neither")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self._sender = parse_address(mail_from)
        self._host = host
        self._port = port
        self._mail_from = mail_from
        self._username = username
        self._password = password
        self._tls = tls
        self._timeout = timeout
        self._tls_context = tls_context

    async def send(self, message: MailMessage) -> None:
        mail = self._written(message)
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            timeout=self._timeout,
            use_tls=self._tls == "tls",
            start_tls=self._tls == "starttls",
            tls_context=self._tls_context,
        )
        try:
            async with asyncio.timeout(self._timeout):
                await client.connect()
                await client.send_message(mail, sender=self._sender, recipients=[message.to])
        except TimeoutError as error:
            raise MailDeliveryError(
                f"no answer from {self._host}:{self._port} within {self._timeout:g} seconds"
            ) from error
        except aiosmtplib.SMTPException as error:
            raise _delivery_error(error) from error
        except OSError as error:
            # The TLS handshake's failures (a certificate that does not verify) and
            # a socket's, where aiosmtplib lets them through.
            raise MailDeliveryError(f"{self._host}:{self._port}: {error}") from error
        else:
            await _quit(client)
        finally:
            client.close()

    def _written(self, message: MailMessage) -> EmailMessage:
        """The mail as SMTP carries it, or a permanent failure for one no server could take."""
        try:
            # The envelope's recipient is `to` exactly: a bare address, nothing that
            # parsing would drop (`a@b> NOTIFY=NEVER`) nor any space or line break.
            if parseaddr(message.to)[1] != message.to:
                raise ValueError(f"{message.to!r} is not a bare address")
            parse_address(message.to)
            mail = EmailMessage()
            mail["From"] = self._mail_from
            mail["To"] = message.to
            mail["Subject"] = message.subject
            mail["Date"] = format_datetime(datetime.now(UTC))
            mail["Message-ID"] = message.message_id
            # Quoted-printable keeps the long line of a link intact on a server
            # without 8BITMIME, and leaves the raw mail readable.
            mail.set_content(message.text, cte="quoted-printable")
            mail.add_alternative(message.html, subtype="html", cte="quoted-printable")
        except ValueError as error:
            raise MailDeliveryError(
                f"the mail cannot be written: {error}", permanent=True
            ) from error
        return mail


_REFUSALS: Final = (
    (aiosmtplib.SMTPRecipientRefused, "the server refused the recipient", True),
    (aiosmtplib.SMTPDataError, "the server refused the message", True),
    (aiosmtplib.SMTPSenderRefused, "the server refused the sender's address", False),
    (aiosmtplib.SMTPAuthenticationError, "the server refused the login", False),
    (aiosmtplib.SMTPConnectResponseError, "the server refused the connection", False),
    (aiosmtplib.SMTPResponseException, "the server refused a command", False),
)
"""What each answer refused, and whether that was this mail, for which a 5xx is final."""


def _delivery_error(error: aiosmtplib.SMTPException) -> MailDeliveryError:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        # Raised when every recipient is refused: here the one there is.
        error = error.recipients[0]
    if isinstance(error, aiosmtplib.SMTPResponseException):
        what, about_the_mail = next(
            (what, about_the_mail)
            for kind, what, about_the_mail in _REFUSALS
            if isinstance(error, kind)
        )
        return MailDeliveryError(
            f"{what}: {error.code} {_bounded(error.message)}",
            permanent=about_the_mail and 500 <= error.code < 600,  # noqa: PLR2004 - SMTP's 5xx
        )
    # Disconnects, refused connections, a server without STARTTLS or AUTH; and
    # SMTPNotSupported: the mail needs what this server lacks (SMTPUTF8, for an
    # address beyond ASCII), and another try would meet the same lack.
    return MailDeliveryError(
        _bounded(error.message), permanent=isinstance(error, aiosmtplib.SMTPNotSupported)
    )


def _bounded(text: str) -> str:
    """A server's text on one line, at most `_ANSWER_LENGTH` characters."""
    line = " ".join(text.split())
    return line if len(line) <= _ANSWER_LENGTH else f"{line[: _ANSWER_LENGTH - 1]}…"


async def _quit(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
        async with asyncio.timeout(QUIT_TIMEOUT):
            await client.quit()
