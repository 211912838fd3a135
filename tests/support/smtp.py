"""A real SMTP server on the loopback for the tests: aiosmtpd, in a thread of its own.

Every mail a test sends reaches one of these, never another host. It keeps
what it received, parsed as a mail client would (`email.policy.default`),
with the envelope's sender and recipients. Per instance it can ask for AUTH,
speak STARTTLS or TLS from the first byte with a self-signed certificate
(made with the `openssl` command; the `cryptography` package is not
installed), and answer RCPT for chosen addresses with a chosen reply. It
stops and starts again on the same port: a relay that was down and came back.
"""

import asyncio
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Final, Literal
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.live_server import free_port

HOST: Final = "127.0.0.1"

_LINK: Final = re.compile(r"https?://\S+")


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    """One mail as the server took it: the message and its envelope."""

    message: EmailMessage
    mail_from: str
    rcpt_tos: tuple[str, ...]


class SmtpServer:
    """An SMTP server on 127.0.0.1 at a port of its own, from `start()` to `stop()` (or for
    a `with` block).

    `auth`: (username, password) that MAIL requires a login with, over any
    connection (a real server would ask for TLS first; the tests say which).
    `tls`: "starttls" requires STARTTLS before MAIL; "tls" speaks TLS from
    the first byte. Either way `client_context` trusts the certificate.
    `refuse`: the reply to RCPT for an address (`"550 5.1.1 No such user"`),
    which tests may change between mails.
    """

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        tls: Literal["none", "starttls", "tls"] = "none",
        refuse: Mapping[str, str] | None = None,
    ) -> None:
        self.host: Final = HOST
        self.port: Final = free_port()
        self.refuse: dict[str, str] = dict(refuse or {})
        self.hang_after_data = False
        """True: keep each mail, then answer nothing until it is False again (the sender's
        attempt ends in its timeout, with an outcome it cannot know)."""
        self._auth = auth
        self._tls = tls
        self._received: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._server_context: ssl.SSLContext | None = None
        self.client_context: ssl.SSLContext | None = None
        """Trusts this server's certificate and checks it names 127.0.0.1; None without TLS."""
        if tls != "none":
            self._server_context, self.client_context = _self_signed_contexts()

    def start(self) -> None:
        """Listen (again) on `port`; returns once the server answers."""
        if self._controller is not None:
            return
        controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname="smtp.test",
            ssl_context=self._server_context if self._tls == "tls" else None,
            tls_context=self._server_context if self._tls == "starttls" else None,
            require_starttls=self._tls == "starttls",
            authenticator=self._authenticate,
            # AUTH is enforced at MAIL by the handler, so that it works on any
            # connection: aiosmtpd's own switch counts only STARTTLS as TLS.
            auth_require_tls=False,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening; what was received stays in `messages`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpServer":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    async def wait_for(
        self,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a polling deadline, to fail with what arrived
    ) -> list[ReceivedMail]:
        """The mails received once there are `count`; fails the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(received := self.messages) < count:
            if time.monotonic() >= deadline:
                pytest.fail(
                    f"the SMTP server on port {self.port} received {len(received)} mail(s)"
                    f" within {timeout:g} seconds, not {count}"
                )
            await asyncio.sleep(0.02)
        return received

    @property
    def requires_auth(self) -> bool:
        return self._auth is not None

    def _record(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._received.append(mail)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        expected = self._auth
        granted = (
            expected is not None
            and isinstance(data, LoginPassword)
            and (data.login.decode(), data.password.decode()) == expected
        )
        # handled=False: aiosmtpd answers a refusal itself (535), as a real server does.
        return AuthResult(success=granted, handled=False)


class _Handler:
    """aiosmtpd's hooks: AUTH before MAIL if asked, the refusals at RCPT, the mail at DATA."""

    def __init__(self, owner: SmtpServer) -> None:
        self._owner = owner

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._owner.requires_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self._owner.refuse.get(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        # Line feeds, as a mail client stores a mail: the tests compare text, not SMTP's CRLF.
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        self._owner._record(
            ReceivedMail(
                message=message_from_bytes(content, policy=policy.default),
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
            )
        )
        # Polled: the flag is set from the test's thread, which no asyncio.Event here hears.
        while self._owner.hang_after_data:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        return "250 OK: queued"


def _self_signed_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and a client
    context that trusts it (and only it). The files live only while both are loaded."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the tests' SMTP server needs the openssl command for its certificate")
    with tempfile.TemporaryDirectory(prefix="smtp-cert-") as folder:
        key, certificate = Path(folder, "key.pem"), Path(folder, "cert.pem")
        subprocess.run(
            [
                openssl, "req", "-x509", "-nodes", "-days", "1",
                "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-keyout", str(key), "-out", str(certificate),
                "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )  # fmt: skip
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(certificate, key)
        client = ssl.create_default_context(cafile=str(certificate))
    return server, client


def _message(mail: EmailMessage | ReceivedMail) -> EmailMessage:
    return mail.message if isinstance(mail, ReceivedMail) else mail


def _part(mail: EmailMessage | ReceivedMail, subtype: str) -> str:
    body = _message(mail).get_body(preferencelist=(subtype,))
    if body is None or body.get_content_subtype() != subtype:
        pytest.fail(f"the mail has no text/{subtype} part")
    content: str = body.get_content()
    return content


def text_of(mail: EmailMessage | ReceivedMail) -> str:
    """The text/plain part, decoded."""
    return _part(mail, "plain")


def html_of(mail: EmailMessage | ReceivedMail) -> str:
    """The text/html part, decoded."""
    return _part(mail, "html")


def link_in(mail: EmailMessage | ReceivedMail) -> str:
    """The first link in the text part; fails the test if there is none."""
    found = _LINK.search(text_of(mail))
    if found is None:
        pytest.fail("the mail's text has no link")
    return found.group()


def token_in(mail: EmailMessage | ReceivedMail) -> str:
    """The token in the fragment of the mail's link (`...#token=...`)."""
    link = link_in(mail)
    tokens = parse_qs(urlsplit(link).fragment).get("token")
    if not tokens:
        pytest.fail(f"the mail's link carries no token: {link}")
    return tokens[0]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A started SmtpServer (no AUTH, no TLS), stopped after the test."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
