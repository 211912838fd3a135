"""One address, many spellings: registering, logging in and the failed-login count agree.

An email can be typed in several equivalent forms: another case, Unicode in
NFD instead of NFC, an internationalised domain in its punycode (`xn--`)
form. Every path normalises it with the same function, so the account that
registered logs in however its owner types it, and a guesser cannot get a
fresh count of failed logins by changing the spelling.
"""

import unicodedata

import httpx
import pytest

from tests.support.accounts import PASSWORD, login
from tests.support.apps import Build
from tests.support.problems import assert_problem

NFC = unicodedata.normalize("NFC", "zoë@bücher.example")
NFD = unicodedata.normalize("NFD", NFC)
SPELLINGS = [
    NFC,
    NFD,
    NFD.upper(),
    "zoë@xn--bcher-kva.example",
    "ZOË@XN--BCHER-KVA.EXAMPLE",
    f"  {NFC.title()}  ",
]
"""The same address each time, as a person or their keyboard may type it."""


async def _register(client: httpx.AsyncClient, email: str) -> None:
    body = {"email": email, "username": "zoe", "password": PASSWORD}
    response = await client.post("/users/", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["email"] == NFC


@pytest.mark.parametrize("registered", [NFC, NFD.upper()], ids=["nfc", "nfd-upper"])
async def test_an_address_registered_in_one_spelling_logs_in_in_every_other(
    build: Build, registered: str
) -> None:
    client = build().client
    await _register(client, registered)

    answers = {spelling: (await login(client, spelling)).status_code for spelling in SPELLINGS}

    assert answers == dict.fromkeys(SPELLINGS, 200)


async def test_respelling_an_email_gets_no_fresh_count_of_failed_logins(
    build: Build,
) -> None:
    client = build(rate_limit_login_failures="3/minute").client
    await _register(client, NFC)

    wrong = [
        (await login(client, spelling, "wrong-pass-word")).status_code for spelling in SPELLINGS[:3]
    ]
    locked = await login(client, SPELLINGS[3])

    assert wrong == [401, 401, 401]
    assert_problem(locked, 429)


async def test_changing_ones_email_to_another_spelling_of_it_changes_nothing(
    build: Build,
) -> None:
    client = build().client
    await _register(client, NFC)
    token = (await login(client, NFC)).json()["access_token"]

    changed = await client.patch(
        "/users/me",
        json={"email": NFD.upper(), "current_password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == NFC
