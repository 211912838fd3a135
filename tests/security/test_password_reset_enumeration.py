"""Asking for a password reset tells nobody which addresses have accounts.

The attack: send `POST /auth/password-reset` for a list of addresses and
sort them by the answer (a 404, another body), by its time (a mail sent in
the request, a hash), or by which of them get rate-limited first. Every
request gets the same 202 with the same body; the mail goes out from the
outbox, after the answer, so the two paths differ by a couple of INSERTs;
and the per-email limit counts every address alike, registered or not.
"""

import statistics
import time

import httpx
import pytest

from tests.support.accounts import sign_up
from tests.support.apps import App, Build
from tests.support.problems import assert_problem

ROUNDS = 40


async def _reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/auth/password-reset", json={"email": email})


async def test_a_reset_for_an_unknown_address_answers_as_one_for_an_account(
    build: Build,
) -> None:
    app = build()
    account = await sign_up(app.client)

    known = await _reset(app.client, account.email)
    unknown = await _reset(app.client, "nobody.here@example.com")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert dict(known.headers) == dict(unknown.headers) | {
        "x-request-id": known.headers["x-request-id"]
    }


async def _timed(app: App, email: str) -> float:
    started = time.perf_counter()
    response = await _reset(app.client, email)
    elapsed = time.perf_counter() - started
    assert response.status_code == 202, response.text
    return elapsed


async def test_a_reset_takes_about_as_long_whether_or_not_the_account_exists(
    build: Build,
) -> None:
    """The medians of the two, interleaved in one run, within half of each other."""
    app = build(rate_limit_reset_mails="100000/minute", rate_limit_reset_requests="100000/minute")
    account = await sign_up(app.client)
    for _ in range(5):  # warm up both paths: the statements' first runs compile them
        await _timed(app, account.email)
        await _timed(app, "warm.up@example.com")

    known, unknown = [], []
    for n in range(ROUNDS):
        known.append(await _timed(app, account.email))
        unknown.append(await _timed(app, f"stranger{n}@example.com"))

    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 1.5 < ratio < 1.5, (
        f"median {statistics.median(known) * 1000:.2f} ms with an account, "
        f"{statistics.median(unknown) * 1000:.2f} ms without"
    )
    owed = await app.container.outbox_sender().send_due()
    assert owed == 1 + 5 + ROUNDS  # its verification, then a link per request for it


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unregistered"])
async def test_the_per_email_limit_counts_every_address_alike(
    build: Build, registered: bool
) -> None:
    app = build(rate_limit_reset_mails="2/hour")
    email = (await sign_up(app.client)).email if registered else "unknown@example.com"

    answers = [await _reset(app.client, email.upper()) for _ in range(3)]

    assert [answer.status_code for answer in answers[:2]] == [202, 202]
    limited = assert_problem(answers[2], 429)
    assert limited["detail"].startswith("Too many password-reset requests for this email")
    assert (await _reset(app.client, "someone.else@example.com")).status_code == 202


async def test_one_address_cannot_ask_for_resets_of_a_whole_list(build: Build) -> None:
    app = build(rate_limit_reset_requests="3/hour")

    answers = [await _reset(app.client, f"target{n}@example.com") for n in range(4)]

    assert [answer.status_code for answer in answers] == [202, 202, 202, 429]
    assert answers[3].headers["Retry-After"].isdigit()
