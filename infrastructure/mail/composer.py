"""Mails written from the templates beside this module, a text and an HTML one per kind.

`templates/<kind>.txt` starts with a `Subject: ...` line, then the body
(blank lines after the subject are dropped); `templates/<kind>.html` is the
same mail as HTML. They are `string.Template`s over the placeholders of
PLACEHOLDERS; every value put into the HTML is escaped, since a username or
an address is whatever someone typed. They ship inside the package and are
read through importlib.resources, so an installed copy finds them too; all
are read and checked when the composer is built, so that a broken one stops
the service at startup rather than a mail at sending.

A link's token travels in the URL's fragment (`#token=...`), which a browser
never sends: no access log, proxy or Referer on the way to the page records
it; the page's script reads it and posts it.
"""

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from importlib import resources
from string import Template
from typing import Final
from urllib.parse import quote, urlsplit

from application.mail.ports import MailMessage
from domain.mail import MailKind, OutgoingMail

PLACEHOLDERS: Final = frozenset(
    {"service", "username", "link", "valid_for", "new_email", "address"}
)
"""`address` is the recipient's; `new_email` the address an email change moves to."""

_SUBJECT: Final = "Subject: "


@dataclass(frozen=True, slots=True)
class _Link:
    path: str
    with_token: bool


_LINKS: Final[Mapping[MailKind, _Link]] = {
    MailKind.VERIFY_EMAIL: _Link("/verify-email", with_token=True),
    MailKind.CONFIRM_NEW_EMAIL: _Link("/verify-email", with_token=True),
    MailKind.RESET_PASSWORD: _Link("/reset-password", with_token=True),
    # The notices link to where a new password is asked for: "if this was not you".
    MailKind.EMAIL_CHANGE_REQUESTED: _Link("/reset-password", with_token=False),
    MailKind.PASSWORD_WAS_RESET: _Link("/reset-password", with_token=False),
}


@dataclass(frozen=True, slots=True)
class _Templates:
    subject: Template
    text: Template
    html: Template


class TemplateComposer:
    """Writes each kind of mail from its templates, for one service and its public URL."""

    def __init__(self, *, service_name: str, public_base_url: str, mail_from: str) -> None:
        base = urlsplit(public_base_url)
        if base.scheme not in {"http", "https"} or not base.netloc:
            raise ValueError(f"public_base_url must be an http(s) URL, not {public_base_url!r}")
        self._service = service_name
        self._base_url = public_base_url.rstrip("/")
        self._domain = _domain_of(mail_from)
        self._templates = {kind: _load(kind) for kind in MailKind}

    def compose(self, mail: OutgoingMail, *, token: str | None) -> MailMessage:
        if mail.kind is MailKind.EMAIL_CHANGE_REQUESTED and not mail.detail:
            raise ValueError(f"mail {mail.id} ({mail.kind}) needs the new address in `detail`")
        values = {
            "service": self._service,
            "username": mail.username,
            "link": self._link(mail, token),
            "valid_for": self._valid_for(mail),
            "new_email": mail.detail,
            "address": mail.recipient,
        }
        templates = self._templates[mail.kind]
        return MailMessage(
            message_id=f"<{mail.id}@{self._domain}>",
            to=mail.recipient,
            subject=templates.subject.substitute(values),
            text=templates.text.substitute(values),
            html=templates.html.substitute({key: html.escape(v) for key, v in values.items()}),
        )

    def _link(self, mail: OutgoingMail, token: str | None) -> str:
        link = _LINKS[mail.kind]
        if link.with_token != (token is not None):
            needs = "needs a token" if link.with_token else "carries no token"
            raise ValueError(f"mail {mail.id} ({mail.kind}) {needs}")
        url = f"{self._base_url}{link.path}"
        return f"{url}#token={quote(token, safe='')}" if token is not None else url

    @staticmethod
    def _valid_for(mail: OutgoingMail) -> str:
        if mail.valid_for is not None:
            return humanised(mail.valid_for)
        if _LINKS[mail.kind].with_token:
            raise ValueError(f"mail {mail.id} ({mail.kind}) needs `valid_for`: its link expires")
        return ""


def humanised(duration: timedelta) -> str:
    """`24 hours`, `30 minutes`, `1 hour and 30 minutes`, `7 days`: what a reader expects.

    Days only from two of them on (a day reads as `24 hours`); seconds only
    under a minute, else dropped: the mail may say less than the link's life,
    never more.
    """
    seconds = int(duration.total_seconds())
    if seconds < 60:  # noqa: PLR2004 - a minute
        return _count(max(seconds, 0), "second")
    days, rest = divmod(seconds, 86_400)
    if days < 2:  # noqa: PLR2004 - "24 hours" up to two days
        days, rest = 0, seconds
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = [
        _count(value, unit)
        for value, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if value
    ]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _count(value: int, unit: str) -> str:
    return f"{value} {unit}" if value == 1 else f"{value} {unit}s"


def _domain_of(mail_from: str) -> str:
    """The domain of `Name <addr@host>` or `addr@host`: the right-hand side of Message-IDs."""
    local, at, domain = parseaddr(mail_from)[1].rpartition("@")
    if not (local and at and domain):
        raise ValueError(f"mail_from must be an address with a domain, not {mail_from!r}")
    return domain


def _load(kind: MailKind) -> _Templates:
    folder = resources.files("infrastructure.mail") / "templates"
    first_line, _, body = (folder / f"{kind}.txt").read_text(encoding="utf-8").partition("\n")
    if not first_line.startswith(_SUBJECT):
        raise ValueError(f"templates/{kind}.txt must start with {_SUBJECT!r}")
    templates = _Templates(
        subject=Template(first_line.removeprefix(_SUBJECT).strip()),
        text=Template(body.lstrip("\n")),
        html=Template((folder / f"{kind}.html").read_text(encoding="utf-8")),
    )
    for name, template in (
        ("subject", templates.subject),
        ("text", templates.text),
        ("html", templates.html),
    ):
        unknown = set(template.get_identifiers()) - PLACEHOLDERS
        if not template.is_valid() or unknown:
            raise ValueError(
                f"the {name} template of {kind} has bad placeholders: {sorted(unknown)}"
            )
    return templates
