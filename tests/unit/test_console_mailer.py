"""ConsoleMailer: one INFO record per mail, with its link, readable in both log formats."""

import json
import logging

import pytest
from dependency_injector import providers

from application.mail.ports import Mailer, MailMessage
from infrastructure.container import CONSOLE_MAIL_WARNING, IN_PROCESS_WARNING, Container
from infrastructure.mail.console import ConsoleMailer
from infrastructure.observability.logging import ConsoleFormatter, JsonFormatter
from interfaces.http.app import create_app
from tests.conftest import make_settings

LINK = "https://posts.example.com/verify-email#token=dGhlLXNpbmdsZS11c2UtdG9rZW4"
MESSAGE = MailMessage(
    message_id="<6f1d2c3b-4a59-4e8d-9b7a-0c1e2f3a4b5c@mail.example.com>",
    to="bob@example.com",
    subject="Confirm your email address for Acme Posts",
    text=(
        "Hello bob,\n\nPlease confirm that bob@example.com is your address\n"
        f"by opening this link:\n\n{LINK}\n\nThe link works for 24 hours.\n"
    ),
    html=f'<p><a href="{LINK}">Confirm</a></p>',
)


async def logged(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    caplog.set_level(logging.INFO, logger="infrastructure.mail.console")
    mailer: Mailer = ConsoleMailer()
    await mailer.send(MESSAGE)
    [record] = [r for r in caplog.records if r.name == "infrastructure.mail.console"]
    return record


async def test_each_mail_is_one_info_record_with_its_link(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = await logged(caplog)
    message = record.getMessage()
    assert record.levelno == logging.INFO
    assert f" {LINK} " in message
    assert "bob@example.com" in message
    assert repr(MESSAGE.subject) in message
    assert MESSAGE.message_id in message


async def test_the_text_reads_as_paragraphs_on_one_line(caplog: pytest.LogCaptureFixture) -> None:
    message = (await logged(caplog)).getMessage()
    assert message.endswith(
        ": Hello bob, | Please confirm that bob@example.com is your address by opening this"
        f" link: | {LINK} | The link works for 24 hours."
    )


async def test_the_console_format_shows_the_link_plainly_on_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    line = ConsoleFormatter().format(await logged(caplog))
    assert "\n" not in line
    assert "\\n" not in line
    assert f" {LINK} " in line


async def test_the_json_format_carries_the_link_in_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    line = JsonFormatter().format(await logged(caplog))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert f" {LINK} " in entry["message"]
    assert "\n" not in entry["message"]


def test_production_without_an_smtp_server_is_announced_at_start_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "kM3v9Qx2Lr7Tn4Wb8Yc1Zd6Fg5Hj0Pa2Sq9Ue3Vi7Xo"
    with caplog.at_level(logging.WARNING):
        create_app(Container(settings=providers.Object(make_settings())))
        create_app(
            Container(
                settings=providers.Object(
                    make_settings(environment="production", jwt_secret=secret, smtp_host="mx")
                )
            )
        )
        create_app(
            Container(
                settings=providers.Object(
                    make_settings(environment="production", jwt_secret=secret)
                )
            )
        )

    warnings = [r.message for r in caplog.records if r.message != IN_PROCESS_WARNING]
    assert warnings == [CONSOLE_MAIL_WARNING]
