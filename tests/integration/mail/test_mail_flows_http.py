"""Both mail flows end to end, on both adapters: over HTTP, through the outbox and the app's
own sender, to a real SMTP server on loopback, whose links finish each flow over HTTP."""

from collections.abc import AsyncIterator

import pytest

from tests.support.accounts import PASSWORD, Account, login, publish, sign_up
from tests.support.apps import ADAPTERS, Adapter, App, adapter_of, app_builder
from tests.support.problems import assert_problem
from tests.support.smtp import ReceivedMail, SmtpServer, text_of, token_in

NEW_PASSWORD = "violet kettle drum 53"


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> Adapter:
    return adapter_of(request)


@pytest.fixture
async def app(adapter: Adapter, smtp_server: SmtpServer) -> AsyncIterator[App]:
    """The app, mailing through `smtp_server`, with its sender running as `serve` runs it."""
    async with app_builder(adapter) as build:
        app = build(
            smtp_host=smtp_server.host,
            smtp_port=smtp_server.port,
            smtp_tls="none",
            smtp_timeout=2,
            mail_retry_seconds=0.2,
            mail_poll_seconds=0.2,
        )
        dispatcher = app.container.mail_dispatcher()
        dispatcher.start()
        try:
            yield app
        finally:
            await dispatcher.stop()


def _to(mails: list[ReceivedMail], address: str) -> list[ReceivedMail]:
    return [mail for mail in mails if address in mail.rcpt_tos]


async def _me(app: App, account: Account) -> dict[str, object]:
    response = await app.client.get("/users/me", headers=account.headers)
    assert response.status_code == 200, response.text
    me: dict[str, object] = response.json()
    return me


async def test_registering_mails_a_link_that_verifies_the_address(
    app: App, smtp_server: SmtpServer
) -> None:
    account = await sign_up(app.client, email="Grace@Example.com", username="grace")
    assert (await _me(app, account))["email_verified"] is False

    (mail,) = await smtp_server.wait_for(1)
    assert mail.rcpt_tos == ("grace@example.com",)
    assert mail.message["Message-ID"].endswith("@localhost>")
    assert "http://127.0.0.1:8000/verify-email#token=" in text_of(mail)
    verified = await app.client.post("/auth/verify-email", json={"token": token_in(mail)})

    assert verified.status_code == 204, verified.text
    assert (await _me(app, account))["email_verified"] is True
    again = await app.client.post("/auth/verify-email", json={"token": token_in(mail)})
    assert assert_problem(again, 400)["type"].endswith("/invalid-mail-token")


async def test_an_email_change_moves_only_once_the_new_address_proves_it(
    app: App, smtp_server: SmtpServer
) -> None:
    account = await sign_up(app.client, email="old@example.com", username="mover")
    await smtp_server.wait_for(1)

    changed = await app.client.patch(
        "/users/me",
        json={"email": "New@Example.com", "current_password": PASSWORD},
        headers=account.headers,
    )

    assert changed.status_code == 200, changed.text
    assert (changed.json()["email"], changed.json()["pending_email"]) == (
        "old@example.com",
        "new@example.com",
    )
    mails = await smtp_server.wait_for(3)
    (notice,) = _to(mails[1:], "old@example.com")
    (confirmation,) = _to(mails, "new@example.com")
    assert "new@example.com" in text_of(notice)
    assert "#token=" not in text_of(notice)
    moved = await app.client.post("/auth/verify-email", json={"token": token_in(confirmation)})
    assert moved.status_code == 204, moved.text
    me = await _me(app, account)
    assert (me["email"], me["pending_email"], me["email_verified"]) == (
        "new@example.com",
        None,
        True,
    )
    assert (await login(app.client, "new@example.com")).status_code == 200


async def test_a_forgotten_password_is_reset_through_the_mailed_link(
    app: App, smtp_server: SmtpServer
) -> None:
    account = await sign_up(app.client, email="forgot@example.com", username="forgetful")
    await smtp_server.wait_for(1)

    asked = await app.client.post("/auth/password-reset", json={"email": "FORGOT@example.com"})

    assert asked.status_code == 202, asked.text
    (link,) = _to((await smtp_server.wait_for(2))[1:], "forgot@example.com")
    assert "http://127.0.0.1:8000/reset-password#token=" in text_of(link)
    reset = await app.client.post(
        "/auth/password-reset/confirm",
        json={"token": token_in(link), "new_password": NEW_PASSWORD},
    )
    assert reset.status_code == 204, reset.text
    old_session = await app.client.get("/users/me", headers=account.headers)
    assert_problem(old_session, 401)
    assert (await login(app.client, "forgetful")).status_code == 401
    assert (await login(app.client, "forgetful", NEW_PASSWORD)).status_code == 200
    (notice,) = (await smtp_server.wait_for(3))[2:]
    assert notice.rcpt_tos == ("forgot@example.com",)
    again = await app.client.post(
        "/auth/password-reset/confirm",
        json={"token": token_in(link), "new_password": "another fine pass phrase"},
    )
    assert assert_problem(again, 400)["type"].endswith("/invalid-mail-token")


async def test_a_refused_registration_mails_nothing(app: App, smtp_server: SmtpServer) -> None:
    await sign_up(app.client, email="taken@example.com", username="first")
    await smtp_server.wait_for(1)

    second = await app.client.post(
        "/users/", json={"email": "TAKEN@example.com", "username": "second", "password": PASSWORD}
    )

    assert assert_problem(second, 409)["type"].endswith("/email-already-registered")
    await app.container.outbox_sender().send_due()
    assert len(smtp_server.messages) == 1


async def test_mail_due_while_the_server_is_down_goes_out_once_it_is_back(
    app: App, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()

    account = await sign_up(app.client, email="patient@example.com", username="patient")
    assert (await _me(app, account))["email_verified"] is False
    asked = await app.client.post("/auth/password-reset", json={"email": "patient@example.com"})
    assert asked.status_code == 202
    smtp_server.start()

    mails = await smtp_server.wait_for(2, timeout=10)
    assert {mail.rcpt_tos for mail in mails} == {("patient@example.com",)}
    assert len({mail.message["Message-ID"] for mail in mails}) == 2


async def test_a_new_verification_link_can_be_asked_for(app: App, smtp_server: SmtpServer) -> None:
    account = await sign_up(app.client, email="lost@example.com", username="lost")
    await smtp_server.wait_for(1)

    asked = await app.client.post("/users/me/verification-mail", headers=account.headers)

    assert asked.status_code == 202, asked.text
    (again,) = (await smtp_server.wait_for(2))[1:]
    done = await app.client.post("/auth/verify-email", json={"token": token_in(again)})
    assert done.status_code == 204
    verified = await app.client.post("/users/me/verification-mail", headers=account.headers)
    assert assert_problem(verified, 409)["type"].endswith("/email-already-verified")


async def test_only_verified_addresses_publish_when_the_setting_says_so(
    adapter: Adapter, smtp_server: SmtpServer
) -> None:
    async with app_builder(adapter) as build:
        app = build(
            require_verified_email=True,
            smtp_host=smtp_server.host,
            smtp_port=smtp_server.port,
            smtp_tls="none",
        )
        author = await sign_up(app.client, email="author@example.com", username="author")

        refused = await app.client.post(
            "/posts/", json={"title": "t", "content": "c"}, headers=author.headers
        )
        assert assert_problem(refused, 403)["type"].endswith("/email-not-verified")
        await app.container.outbox_sender().send_due()
        (mail,) = await smtp_server.wait_for(1)
        await app.client.post("/auth/verify-email", json={"token": token_in(mail)})

        post = await publish(app.client, author)
        assert post["author"]["username"] == "author"
