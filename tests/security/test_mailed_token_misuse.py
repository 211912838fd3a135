"""A mailed link's token does one thing, once, for the address it went to, and is kept nowhere.

The attacks: replaying a spent verification or reset token; using a reset
token to verify an address, or the reverse; finishing a reset with a link
mailed before the account moved to another address (the old mailbox may be
someone else's now); a refresh token presented as a mailed one; reading
tokens out of the database (the outbox and the tokens' table), or out of
the log of the SMTP sender.
"""

import logging

import httpx
import pytest

from infrastructure.persistence.statements import Connection
from tests.support.accounts import PASSWORD, Account, sign_up
from tests.support.apps import App, Build
from tests.support.problems import assert_problem
from tests.support.smtp import SmtpServer, token_in

NEW_PASSWORD = "violet kettle drum 53"


def _mailing(build: Build, smtp_server: SmtpServer) -> App:
    return build(smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_tls="none")


async def _deliver(app: App, smtp_server: SmtpServer, count: int) -> str:
    """Send what is due; the token of the `count`-th mail the server received."""
    await app.container.outbox_sender().send_due()
    return token_in((await smtp_server.wait_for(count))[count - 1])


async def _verify(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/auth/verify-email", json={"token": token})


async def _confirm(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(
        "/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )


def _invalid(response: httpx.Response) -> None:
    body = assert_problem(response, 400)
    assert body["type"].endswith("/invalid-mail-token")


async def test_a_spent_verification_token_replayed_is_refused(
    build: Build, smtp_server: SmtpServer
) -> None:
    app = _mailing(build, smtp_server)
    await sign_up(app.client)
    token = await _deliver(app, smtp_server, 1)

    assert (await _verify(app.client, token)).status_code == 204
    _invalid(await _verify(app.client, token))


async def test_a_token_of_one_purpose_does_not_serve_the_other(
    build: Build, smtp_server: SmtpServer
) -> None:
    app = _mailing(build, smtp_server)
    account = await sign_up(app.client)
    verification = await _deliver(app, smtp_server, 1)
    await app.client.post("/auth/password-reset", json={"email": account.email})
    reset = await _deliver(app, smtp_server, 2)

    _invalid(await _confirm(app.client, verification))
    _invalid(await _verify(app.client, reset))
    assert (await _confirm(app.client, reset)).status_code == 204
    assert (await _verify(app.client, verification)).status_code == 204


async def test_a_reset_link_mailed_before_the_account_moved_is_refused(
    build: Build, smtp_server: SmtpServer
) -> None:
    app = _mailing(build, smtp_server)
    account = await sign_up(app.client)
    await _deliver(app, smtp_server, 1)
    await app.client.post("/auth/password-reset", json={"email": account.email})
    old_reset = await _deliver(app, smtp_server, 2)
    await app.client.patch(
        "/users/me",
        json={"email": "new.home@example.com", "current_password": PASSWORD},
        headers=account.headers,
    )
    await app.container.outbox_sender().send_due()
    mails = await smtp_server.wait_for(4)
    (confirmation,) = [m for m in mails if m.rcpt_tos == ("new.home@example.com",)]
    assert (await _verify(app.client, token_in(confirmation))).status_code == 204

    _invalid(await _confirm(app.client, old_reset))


@pytest.mark.parametrize("token", ["refresh", "access", "garbage", "empty"])
async def test_other_secrets_are_no_mailed_token(build: Build, token: str) -> None:
    app = build()
    account: Account = await sign_up(app.client)
    presented = {
        "refresh": account.refresh_token,
        "access": account.token,
        "garbage": "x" * 1024,
        "empty": "",
    }[token]

    _invalid(await _verify(app.client, presented))
    _invalid(await _confirm(app.client, presented))


@pytest.mark.postgres
async def test_neither_the_outbox_nor_the_tokens_table_holds_a_usable_token(
    pg_client: httpx.AsyncClient, pg_connection: Connection
) -> None:
    """What a copy of the database gives: ids and digests, no token, no link."""
    await sign_up(pg_client)
    rows = await (
        await pg_connection.execute(
            "SELECT o.token_id::text, o.detail, o.last_error, encode(t.digest, 'hex') "
            "FROM outbox o JOIN mail_tokens t ON t.id = o.token_id"
        )
    ).fetchall()

    assert len(rows) == 1
    (token_id, detail, last_error, digest) = rows[0]
    assert (detail, last_error) == ("", "")
    assert len(digest) == 64
    dump = await (
        await pg_connection.execute("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM outbox) t")
    ).fetchone()
    assert dump is not None
    assert "#token=" not in dump[0]
    assert token_id in dump[0]


async def test_the_smtp_sender_logs_no_token(
    build: Build, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    app = _mailing(build, smtp_server)
    await sign_up(app.client)

    with caplog.at_level(logging.DEBUG):
        token = await _deliver(app, smtp_server, 1)

    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # not aiosmtpd's
    assert any("sent" in record.getMessage() for record in ours)
    assert not [record for record in ours if token in record.getMessage()]
