"""SmtpMailer against a real SMTP server on the loopback: what arrives, TLS, AUTH, and how
each failure is told (permanent or not), always within the mailer's timeout."""

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from application.mail.ports import MailDeliveryError, Mailer, MailMessage
from infrastructure.mail import smtp
from infrastructure.mail.smtp import SmtpMailer, TlsMode
from tests.support.smtp import HOST, SmtpServer, html_of, text_of, token_in

MAIL_FROM = "Acme Posts <noreply@mail.example.com>"
TOKEN = "Zm9vYmFyYmF6cXV4LXNpbmdsZS11c2UtdG9rZW4tMDE"
PASSWORD = "s3cret-relay-password"
BOUND = 5.0
"""Seconds any one delivery in these tests may take, failure included."""


def a_message(to: str = "bob@example.com") -> MailMessage:
    link = f"https://posts.example.com/verify-email#token={TOKEN}"
    return MailMessage(
        message_id="<0b7c2f4e-2d59-4b8e-9a51-1f0f3c1d2e3a@mail.example.com>",
        to=to,
        subject="Bestätige deine Adresse für Acme Posts",
        text=f"Hallo Bob,\n\nöffne diesen Link:\n\n{link}\n\nEr gilt 24 Stunden.\n",
        html=f'<p>Hallo Bob,</p>\n<p><a href="{link}">Adresse bestätigen</a></p>\n',
    )


def mailer_for(
    server: SmtpServer,
    *,
    tls: TlsMode = "none",
    trusted: bool = True,
    username: str | None = None,
    password: str | None = None,
) -> SmtpMailer:
    """A mailer of `server`, trusting its certificate unless told not to."""
    return SmtpMailer(
        server.host,
        server.port,
        mail_from=MAIL_FROM,
        username=username,
        password=password,
        tls=tls,
        tls_context=server.client_context if trusted else None,
    )


async def delivery_error(send: Awaitable[None]) -> MailDeliveryError:
    """The MailDeliveryError `send` raises, within BOUND seconds."""
    async with asyncio.timeout(BOUND):
        with pytest.raises(MailDeliveryError) as raised:
            await send
    return raised.value


async def test_a_delivered_mail_has_both_parts_and_its_headers(smtp_server: SmtpServer) -> None:
    message = a_message()
    mailer: Mailer = mailer_for(smtp_server)

    await mailer.send(message)

    [received] = await smtp_server.wait_for(1)
    mail = received.message
    assert received.mail_from == "noreply@mail.example.com"
    assert received.rcpt_tos == ("bob@example.com",)
    assert mail["From"] == MAIL_FROM
    assert mail["To"] == "bob@example.com"
    assert mail["Subject"] == message.subject
    assert mail["Message-ID"] == message.message_id
    sent_at = parsedate_to_datetime(mail["Date"])
    assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=1)
    assert mail.get_content_type() == "multipart/alternative"
    assert text_of(mail) == message.text
    assert html_of(mail) == message.html
    assert {part.get_content_charset() for part in mail.iter_parts()} == {"utf-8"}
    assert token_in(mail) == TOKEN


async def test_one_connection_per_mail_delivers_each(smtp_server: SmtpServer) -> None:
    mailer = mailer_for(smtp_server)
    for to in ("ann@example.com", "bob@example.com"):
        await mailer.send(a_message(to))
    received = await smtp_server.wait_for(2)
    assert [mail.rcpt_tos for mail in received] == [("ann@example.com",), ("bob@example.com",)]


async def test_a_login_with_the_right_password_delivers() -> None:
    with SmtpServer(auth=("mailer", PASSWORD), tls="starttls") as server:
        mailer = mailer_for(server, tls="starttls", username="mailer", password=PASSWORD)
        await mailer.send(a_message())
        await server.wait_for(1)


async def test_a_wrong_password_fails_and_may_succeed_once_fixed() -> None:
    with SmtpServer(auth=("mailer", PASSWORD), tls="starttls") as server:
        mailer = mailer_for(server, tls="starttls", username="mailer", password="not-it")
        error = await delivery_error(mailer.send(a_message()))
    assert not error.permanent
    assert "login" in str(error)
    assert "535" in str(error)
    assert "not-it" not in str(error)
    assert server.messages == []


async def test_no_login_where_the_server_requires_one_fails_not_permanently() -> None:
    with SmtpServer(auth=("mailer", PASSWORD), tls="starttls") as server:
        error = await delivery_error(mailer_for(server, tls="starttls").send(a_message()))
    assert not error.permanent
    assert "530" in str(error)
    assert server.messages == []


async def test_starttls_with_the_trusted_certificate_delivers() -> None:
    with SmtpServer(tls="starttls") as server:
        await mailer_for(server, tls="starttls").send(a_message())
        [received] = await server.wait_for(1)
    assert text_of(received) == a_message().text


async def test_implicit_tls_with_the_trusted_certificate_delivers() -> None:
    with SmtpServer(tls="tls") as server:
        await mailer_for(server, tls="tls").send(a_message())
        [received] = await server.wait_for(1)
    assert text_of(received) == a_message().text


@pytest.mark.parametrize("tls", ["starttls", "tls"])
async def test_a_self_signed_certificate_is_refused_by_default(tls: TlsMode) -> None:
    """Without `tls_context` the system's CAs decide, as aiosmtplib's default does."""
    with SmtpServer(tls=tls) as server:
        error = await delivery_error(mailer_for(server, tls=tls, trusted=False).send(a_message()))
    assert not error.permanent
    assert "certificate verify failed" in str(error)
    assert server.messages == []


async def test_a_server_that_requires_starttls_refuses_a_plain_session() -> None:
    with SmtpServer(tls="starttls") as server:
        error = await delivery_error(mailer_for(server, tls="none").send(a_message()))
    assert not error.permanent
    assert "530" in str(error)


async def test_a_server_that_is_down_fails_not_permanently_and_works_once_back() -> None:
    server = SmtpServer()
    mailer = mailer_for(server)

    error = await delivery_error(mailer.send(a_message()))
    assert not error.permanent
    assert str(server.port) in str(error)

    with server:
        await mailer.send(a_message())
        await server.wait_for(1)
    error = await delivery_error(mailer.send(a_message()))
    assert not error.permanent
    with server:
        await mailer.send(a_message())
        await server.wait_for(2)


async def test_a_recipient_refused_with_550_is_permanent() -> None:
    refusal = "550 5.1.1 <gone@example.com>: no such mailbox here"
    with SmtpServer(refuse={"gone@example.com": refusal}) as server:
        error = await delivery_error(mailer_for(server).send(a_message("gone@example.com")))
    assert error.permanent
    assert str(error) == f"the server refused the recipient: {refusal}"
    assert TOKEN not in str(error)
    assert server.messages == []


async def test_a_recipient_refused_with_451_is_not_permanent() -> None:
    with SmtpServer(refuse={"busy@example.com": "451 4.3.0 try again later"}) as server:
        mailer = mailer_for(server)
        error = await delivery_error(mailer.send(a_message("busy@example.com")))
        assert not error.permanent
        assert "451 4.3.0 try again later" in str(error)

        del server.refuse["busy@example.com"]
        await mailer.send(a_message("busy@example.com"))
        await server.wait_for(1)


@pytest.mark.parametrize(
    "to",
    [
        "bob@example.com> NOTIFY=NEVER",
        "bob smith@example.com",
        "bob@example.com\r\nRCPT TO:<eve@example.com>",
        "Bob <bob@example.com>",
    ],
)
async def test_an_address_that_is_not_bare_fails_permanently_before_connecting(to: str) -> None:
    """The server is down: had the mailer tried to connect, the failure would be temporary."""
    error = await delivery_error(mailer_for(SmtpServer()).send(a_message(to)))
    assert error.permanent
    assert "cannot be written" in str(error)


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port whose connections the kernel accepts and nothing ever answers."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(8)
        yield listener.getsockname()[1]


async def test_a_server_that_never_answers_fails_within_the_timeout() -> None:
    with silent_listener() as port:
        mailer = SmtpMailer(HOST, port, mail_from=MAIL_FROM, tls="none", timeout=0.5)
        started = time.monotonic()
        error = await delivery_error(mailer.send(a_message()))
        elapsed = time.monotonic() - started
    assert not error.permanent
    assert "0.5 seconds" in str(error)
    assert 0.4 < elapsed < 2.0


SLOW_ANSWER = 0.3
"""Each command's answer from `slow_server`: within any one step's timeout of 1 second,
not within 1 second for the five steps of a mail."""


@asynccontextmanager
async def slow_server(*, answers_quit: bool = True) -> AsyncIterator[int]:
    """An SMTP server on the loopback that takes SLOW_ANSWER seconds to answer each command
    (DATA's lines are taken at once), and, unless `answers_quit`, never answers QUIT.

    Its sessions end with the block, each closing its connection, so that none is
    left for the garbage collector to find open in a later test.
    """
    sessions: set[asyncio.Task[None]] = set()

    async def converse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 slow.test ESMTP\r\n")
        in_data = False
        while line := await reader.readline():
            if in_data:
                in_data = line != b".\r\n"
                if in_data:
                    continue
                answer = b"250 OK: queued\r\n"
            else:
                command = line[:4].upper()
                if command == b"QUIT" and not answers_quit:
                    await asyncio.Event().wait()
                in_data = command == b"DATA"
                answer = {b"DATA": b"354 go ahead\r\n", b"QUIT": b"221 bye\r\n"}.get(
                    command, b"250 OK\r\n"
                )
            await asyncio.sleep(SLOW_ANSWER)
            writer.write(answer)
            await writer.drain()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = asyncio.current_task()
        assert session is not None
        sessions.add(session)
        try:
            await converse(reader, writer)
        except ConnectionError:
            pass  # the client hung up mid-answer: what a hurried mailer does
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            sessions.discard(session)

    server = await asyncio.start_server(serve, HOST, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for session in list(sessions):
            session.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        await server.wait_closed()


async def test_the_timeout_bounds_the_whole_delivery_not_each_step() -> None:
    async with slow_server() as port:
        patient = SmtpMailer(HOST, port, mail_from=MAIL_FROM, tls="none", timeout=4.0)
        async with asyncio.timeout(BOUND):
            await patient.send(a_message())

        hurried = SmtpMailer(HOST, port, mail_from=MAIL_FROM, tls="none", timeout=1.0)
        started = time.monotonic()
        error = await delivery_error(hurried.send(a_message()))
        elapsed = time.monotonic() - started
    assert not error.permanent
    assert 0.9 < elapsed < 1.4


async def test_a_quit_left_unanswered_neither_fails_nor_holds_a_delivered_mail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(smtp, "QUIT_TIMEOUT", 0.2)
    async with slow_server(answers_quit=False) as port:
        mailer = SmtpMailer(HOST, port, mail_from=MAIL_FROM, tls="none", timeout=4.0)
        started = time.monotonic()
        async with asyncio.timeout(BOUND):
            await mailer.send(a_message())
    assert time.monotonic() - started < 5 * SLOW_ANSWER + 1.0


async def test_neither_the_password_nor_the_token_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with SmtpServer(auth=("mailer", PASSWORD), tls="starttls") as server:
        good = mailer_for(server, tls="starttls", username="mailer", password=PASSWORD)
        await good.send(a_message())
        server.refuse["gone@example.com"] = "550 no such mailbox"
        await delivery_error(good.send(a_message("gone@example.com")))
        wrong = mailer_for(server, tls="starttls", username="mailer", password=f"{PASSWORD}-x")
        await delivery_error(wrong.send(a_message()))
    ours = [
        record
        for record in caplog.records
        if not record.name.startswith("mail.")  # aiosmtpd's: the server's side, not ours
    ]
    logged = "\n".join(f"{record.getMessage()} {record.__dict__}" for record in ours)
    assert PASSWORD not in logged
    assert TOKEN not in logged


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"tls": "ssl"}, "tls must be one of"),
        ({"username": "mailer"}, "both a username and a password"),
        ({"password": PASSWORD}, "both a username and a password"),
        ({"timeout": 0}, "timeout must be positive"),
    ],
)
def test_a_wrong_configuration_fails_at_construction(
    options: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        SmtpMailer(HOST, 25, mail_from=MAIL_FROM, **options)  # type: ignore[arg-type]
