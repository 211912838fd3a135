"""The mails of every kind from their templates: subject, link, wording, escaping, ids."""

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.mail.ports import MailComposer
from domain.mail import MailKind, OutgoingMail
from infrastructure.mail.composer import TemplateComposer, humanised

MAIL_ID = UUID("6f1d2c3b-4a59-4e8d-9b7a-0c1e2f3a4b5c")
TOKEN = "dGhlLXNpbmdsZS11c2UtdG9rZW4tb2YtdGhpcy1tYWls"
BASE = "https://posts.example.com"

composer = TemplateComposer(
    service_name="Acme Posts",
    public_base_url=f"{BASE}/",
    mail_from="Acme Posts <noreply@mail.example.com>",
)

WITH_TOKEN = (MailKind.VERIFY_EMAIL, MailKind.CONFIRM_NEW_EMAIL, MailKind.RESET_PASSWORD)
WITHOUT_TOKEN = (MailKind.EMAIL_CHANGE_REQUESTED, MailKind.PASSWORD_WAS_RESET)


def a_mail(kind: MailKind, **overrides: Any) -> OutgoingMail:
    values: dict[str, Any] = {
        "id": MAIL_ID,
        "user_id": 7,
        "kind": kind,
        "recipient": "bob@example.com",
        "username": "bob",
        "token_id": UUID("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d") if kind in WITH_TOKEN else None,
        "valid_for": timedelta(hours=24) if kind in WITH_TOKEN else None,
        "detail": "bob@new.example.com" if kind is MailKind.EMAIL_CHANGE_REQUESTED else "",
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "attempts": 1,
    }
    return OutgoingMail(**(values | overrides))


def token_for(kind: MailKind) -> str | None:
    return TOKEN if kind in WITH_TOKEN else None


def test_the_composer_is_a_mail_composer() -> None:
    port: MailComposer = composer
    assert port is composer


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        (MailKind.VERIFY_EMAIL, "Confirm your email address for Acme Posts"),
        (MailKind.CONFIRM_NEW_EMAIL, "Confirm your new email address for Acme Posts"),
        (MailKind.EMAIL_CHANGE_REQUESTED, "Your Acme Posts email address is about to change"),
        (MailKind.RESET_PASSWORD, "Reset your Acme Posts password"),
        (MailKind.PASSWORD_WAS_RESET, "Your Acme Posts password was reset"),
    ],
)
def test_each_kind_has_its_subject_and_greets_the_user(kind: MailKind, subject: str) -> None:
    message = composer.compose(a_mail(kind), token=token_for(kind))
    assert message.subject == subject
    assert message.to == "bob@example.com"
    assert message.text.startswith("Hello bob,\n\n")
    assert "<p>Hello bob,</p>" in message.html
    assert "Acme Posts" in message.text


@pytest.mark.parametrize(
    ("kind", "link"),
    [
        (MailKind.VERIFY_EMAIL, f"{BASE}/verify-email#token={TOKEN}"),
        (MailKind.CONFIRM_NEW_EMAIL, f"{BASE}/verify-email#token={TOKEN}"),
        (MailKind.RESET_PASSWORD, f"{BASE}/reset-password#token={TOKEN}"),
    ],
)
def test_a_kind_with_a_token_links_to_its_page_with_the_token_in_the_fragment(
    kind: MailKind, link: str
) -> None:
    message = composer.compose(a_mail(kind), token=TOKEN)
    assert f"\n\n{link}\n\n" in message.text
    assert f'href="{link}"' in message.html
    assert "works for 24 hours, and only once" in message.text
    assert "works for 24 hours, and only once" in message.html


@pytest.mark.parametrize("kind", WITHOUT_TOKEN)
def test_a_notice_links_to_the_reset_page_without_a_token(kind: MailKind) -> None:
    message = composer.compose(a_mail(kind), token=None)
    assert f"\n\n{BASE}/reset-password\n" in message.text
    assert f'href="{BASE}/reset-password"' in message.html
    assert "#token" not in message.text + message.html
    assert "If it was not you" in message.text


@pytest.mark.parametrize(
    ("valid_for", "wording"),
    [
        (timedelta(hours=24), "24 hours"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(hours=1), "1 hour"),
    ],
)
def test_the_mail_says_how_long_its_link_works(valid_for: timedelta, wording: str) -> None:
    message = composer.compose(a_mail(MailKind.RESET_PASSWORD, valid_for=valid_for), token=TOKEN)
    assert f"The link works for {wording}, and only once." in message.text
    assert f"The link works for {wording}, and only once." in message.html


@pytest.mark.parametrize(
    ("duration", "wording"),
    [
        (timedelta(hours=24), "24 hours"),
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=90), "1 hour and 30 minutes"),
        (timedelta(hours=47), "47 hours"),
        (timedelta(days=7), "7 days"),
        (timedelta(days=2, hours=3, minutes=1), "2 days, 3 hours and 1 minute"),
        (timedelta(minutes=30, seconds=59), "30 minutes"),
        (timedelta(seconds=45), "45 seconds"),
    ],
)
def test_durations_read_as_a_person_says_them(duration: timedelta, wording: str) -> None:
    assert humanised(duration) == wording


def test_the_email_change_notice_names_the_new_address() -> None:
    message = composer.compose(a_mail(MailKind.EMAIL_CHANGE_REQUESTED), token=None)
    assert "to bob@new.example.com." in message.text
    assert "to bob@new.example.com." in message.html


def test_the_confirmation_of_a_new_address_names_it() -> None:
    mail = a_mail(MailKind.CONFIRM_NEW_EMAIL, recipient="bob@new.example.com")
    message = composer.compose(mail, token=TOKEN)
    assert message.to == "bob@new.example.com"
    assert "make bob@new.example.com the email address" in message.text


def test_every_value_put_into_the_html_is_escaped() -> None:
    hostile = '<img src=x onerror="alert(1)">&'
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;"
    mail = a_mail(
        MailKind.EMAIL_CHANGE_REQUESTED,
        username=hostile,
        recipient=f'"{hostile}"@example.com',
        detail=f'"{hostile}"@new.example.com',
    )
    hostile_service = TemplateComposer(
        service_name=f"Acme {hostile}",
        public_base_url=BASE,
        mail_from="noreply@mail.example.com",
    )
    message = hostile_service.compose(mail, token=None)
    assert "<img" not in message.html
    assert f"<p>Hello {escaped},</p>" in message.html
    assert f"&quot;{escaped}&quot;@new.example.com" in message.html
    assert f"Acme {escaped}" in message.html
    assert f"Hello {hostile}," in message.text
    verify = hostile_service.compose(
        dataclasses.replace(mail, kind=MailKind.VERIFY_EMAIL, valid_for=timedelta(hours=1)),
        token=TOKEN,
    )
    assert "<img" not in verify.html
    assert f"&quot;{escaped}&quot;@example.com is your email address" in verify.html


def test_a_link_is_escaped_in_its_attribute() -> None:
    message = composer.compose(a_mail(MailKind.VERIFY_EMAIL), token='a"b&c')
    assert 'href="https://posts.example.com/verify-email#token=a%22b%26c"' in message.html


def test_no_placeholder_is_left_in_any_mail() -> None:
    for kind in MailKind:
        message = composer.compose(a_mail(kind), token=token_for(kind))
        for part in (message.subject, message.text, message.html):
            assert "$" not in part, (kind, part)


def test_the_message_id_is_the_mails_id_at_the_senders_domain_on_every_call() -> None:
    mail = a_mail(MailKind.VERIFY_EMAIL)
    first = composer.compose(mail, token=TOKEN)
    again = composer.compose(dataclasses.replace(mail, attempts=2), token=TOKEN)
    assert first.message_id == f"<{MAIL_ID}@mail.example.com>"
    assert again.message_id == first.message_id


def test_a_bare_sender_address_gives_the_domain_too() -> None:
    plain = TemplateComposer(
        service_name="Acme Posts", public_base_url=BASE, mail_from="noreply@example.org"
    )
    message = plain.compose(a_mail(MailKind.PASSWORD_WAS_RESET), token=None)
    assert message.message_id == f"<{MAIL_ID}@example.org>"


@pytest.mark.parametrize("base", [BASE, f"{BASE}/", f"{BASE}/app/"])
def test_a_trailing_slash_of_the_base_url_is_not_doubled(base: str) -> None:
    at = TemplateComposer(service_name="Acme", public_base_url=base, mail_from="n@example.org")
    message = at.compose(a_mail(MailKind.VERIFY_EMAIL), token=TOKEN)
    expected = f"{base.rstrip('/')}/verify-email#token={TOKEN}"
    assert f"\n{expected}\n" in message.text
    assert "//verify-email" not in message.text


@pytest.mark.parametrize("kind", WITH_TOKEN)
def test_a_kind_with_a_link_to_spend_given_no_token_is_a_bug(kind: MailKind) -> None:
    with pytest.raises(ValueError, match="needs a token"):
        composer.compose(a_mail(kind), token=None)


@pytest.mark.parametrize("kind", WITHOUT_TOKEN)
def test_a_notice_given_a_token_is_a_bug(kind: MailKind) -> None:
    with pytest.raises(ValueError, match="carries no token"):
        composer.compose(a_mail(kind), token=TOKEN)


def test_a_link_that_expires_without_valid_for_is_a_bug() -> None:
    with pytest.raises(ValueError, match="valid_for"):
        composer.compose(a_mail(MailKind.VERIFY_EMAIL, valid_for=None), token=TOKEN)


def test_an_email_change_notice_without_the_new_address_is_a_bug() -> None:
    with pytest.raises(ValueError, match="new address"):
        composer.compose(a_mail(MailKind.EMAIL_CHANGE_REQUESTED, detail=""), token=None)


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"mail_from": "Acme Posts"}, "mail_from"),
        ({"mail_from": "noreply@"}, "mail_from"),
        ({"public_base_url": "posts.example.com"}, "public_base_url"),
        ({"public_base_url": "javascript:alert(1)"}, "public_base_url"),
    ],
)
def test_a_wrong_configuration_fails_at_construction(
    options: dict[str, str], complaint: str
) -> None:
    values = {"service_name": "Acme", "public_base_url": BASE, "mail_from": "n@example.org"}
    with pytest.raises(ValueError, match=complaint):
        TemplateComposer(**(values | options))
