"""Mail survives the death of the process that owed it, and a retry is recognisable.

A real `serve` process, a real PostgreSQL, a real SMTP server on loopback.
The server takes the first mail's DATA and then never answers, so the
sender cannot know whether it was delivered; the process is killed
(SIGKILL: nothing is cleaned up) in the middle of that attempt. The next
process, once the claim's lease has run out, sends the mail again under the
same Message-ID: at least once, and the copy is recognisable as one.
"""

import asyncio
import time
from collections.abc import Callable

import httpx
import psycopg
import pytest

from infrastructure.persistence import migrator
from tests.conftest import in_thread, libpq_url
from tests.resilience import figures
from tests.support.live_server import serving
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.postgres

SMTP_TIMEOUT_SECONDS = 1
LEASE_SECONDS = SMTP_TIMEOUT_SECONDS * 6  # Delivery.lease: the timeout for a batch of 5, and one


async def test_a_mail_whose_sender_was_killed_mid_attempt_goes_out_after_restart(
    create_database: Callable[[], str],
) -> None:
    url = create_database()
    in_thread(migrator.upgrade, url)
    smtp = SmtpServer()
    smtp.hang_after_data = True
    environment = {
        "DATABASE_URL": libpq_url(url),
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_TLS": "none",
        "SMTP_TIMEOUT": str(SMTP_TIMEOUT_SECONDS),
        "MAIL_POLL_SECONDS": "0.2",
        "MAIL_RETRY_SECONDS": "0.2",
    }
    with smtp:
        with serving(**environment) as (base_url, process):
            async with httpx.AsyncClient(base_url=base_url) as client:
                registered = await client.post(
                    "/users/",
                    json={"email": "kept@example.com", "username": "kept", "password": "pw-word-1"},
                )
            assert registered.status_code == 201, registered.text
            (first,) = await smtp.wait_for(1, timeout=10)
            process.kill()  # mid-attempt: the server has the DATA, the sender no answer
            process.wait(timeout=10)
        killed_at = time.monotonic()
        smtp.hang_after_data = False

        with serving(**environment):
            mails = await smtp.wait_for(2, timeout=LEASE_SECONDS + 15)
            delivered_after = time.monotonic() - killed_at
            await asyncio.sleep(1)  # a third copy would come now, if the outcome were not stored
            assert len(smtp.messages) == 2

    assert mails[1].rcpt_tos == first.rcpt_tos == ("kept@example.com",)
    assert mails[1].message["Message-ID"] == first.message["Message-ID"]
    with psycopg.connect(libpq_url(url)) as connection:
        row = connection.execute("SELECT attempts, sent_at IS NOT NULL FROM outbox").fetchone()
    assert row == (2, True)
    tally = figures.Tally("sender killed mid-attempt")
    tally.count(registered.status_code)
    tally.writes_verified = 1
    tally.report(
        copies_received=len(mails),
        same_message_id=True,
        delivered_after_restart_s=round(delivered_after, 1),
        lease_s=LEASE_SECONDS,
    )


async def test_a_mail_due_while_no_process_ran_goes_out_when_one_starts(
    create_database: Callable[[], str],
) -> None:
    """The mail of a change committed from the command line, with no server running."""
    url = create_database()
    in_thread(migrator.upgrade, url)
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:
        user = connection.execute(
            "INSERT INTO users (email, username, password_hash) "
            "VALUES ('waiting@example.com', 'waiting', 'x') RETURNING id"
        ).fetchone()
        assert user is not None
        connection.execute(
            "INSERT INTO outbox (id, user_id, kind, recipient, username) "
            "VALUES (gen_random_uuid(), %s, 'password-was-reset', 'waiting@example.com', "
            "'waiting')",
            user,
        )
    with (
        SmtpServer() as smtp,
        serving(
            DATABASE_URL=libpq_url(url),
            SMTP_HOST=smtp.host,
            SMTP_PORT=str(smtp.port),
            SMTP_TLS="none",
        ),
    ):
        (mail,) = await smtp.wait_for(1, timeout=15)

    assert mail.rcpt_tos == ("waiting@example.com",)
