"""Common passwords are refused (NIST SP 800-63B), and the check costs little whatever is sent.

Issue 13, item 11. The rule is zxcvbn's estimate (the service's own settings,
not turned off here): a password it scores under `PASSWORD_MIN_STRENGTH` is a
422 on registration and on a change.
"""

import time
from collections.abc import Awaitable, Callable
from itertools import count
from typing import Final

import httpx
import pytest
from dependency_injector import providers

from infrastructure.container import Container
from interfaces.http.app import create_app
from tests.conftest import PASSWORD_STRENGTH, make_settings
from tests.support.accounts import PASSWORD, sign_up
from tests.support.problems import assert_problem

COMMON: Final = ["password", "12345678", "iloveyou", "qwertyuiop", "P@ssw0rd!", "Summer2024!"]


def _assert_weak(response: httpx.Response) -> None:
    body = assert_problem(response, 422)
    assert body["detail"].startswith("Password is too easy to guess")
    assert body["type"] == "/problems/weak-password"


@pytest.mark.parametrize("password", COMMON)
async def test_a_common_password_is_refused_at_registration(
    client: httpx.AsyncClient, password: str
) -> None:
    body = {"email": "ada@example.com", "username": "ada.lovelace", "password": password}

    _assert_weak(await client.post("/users/", json=body))
    assert (await client.get("/users/")).json() == []


@pytest.mark.parametrize("password", ["quillmoth1", "Quillmoth2024"])
async def test_a_password_made_of_the_accounts_own_name_is_refused(
    client: httpx.AsyncClient, password: str
) -> None:
    """Strong enough for a stranger's account (zxcvbn scores them 3 and 4 without the name)."""
    body = {"email": "quillmoth@example.com", "username": "quillmoth", "password": password}

    _assert_weak(await client.post("/users/", json=body))


@pytest.mark.parametrize("password", COMMON)
async def test_a_common_password_is_refused_on_a_change(
    client: httpx.AsyncClient, password: str
) -> None:
    account = await sign_up(client)

    answer = await client.patch(
        "/users/me",
        json={"password": password, "current_password": PASSWORD},
        headers=account.headers,
    )

    _assert_weak(answer)


CRAFTED: Final = ("4@8(6#!|1l0$5+7%2" * 8)[:128]
"""Every leet character zxcvbn knows, repeated to the longest password allowed.

Each leet character multiplies the substitutions zxcvbn tries, and each
substitution costs a scan of the password's substrings: unbounded, it took
1.9 s of CPU.
"""
NORMAL: Final = "correct horse battery staple"
ROUNDS: Final = 5


async def _fastest(call: Callable[[], Awaitable[object]]) -> float:
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await call()
        timings.append(time.perf_counter() - started)
    return min(timings)


async def test_a_long_crafted_password_is_checked_in_about_the_time_of_a_normal_one() -> None:
    """A registration with the crafted password against one with a normal password.

    At the service's own argon2 cost (the defaults), on the in-memory adapter
    so that the database's timing does not blur it; each figure is the
    fastest of a few, as the machine is shared.
    """
    settings = make_settings(
        password_hash_time_cost=3, password_hash_memory_cost=65536, password_hash_parallelism=4
    )
    transport = httpx.ASGITransport(app=create_app(Container(settings=providers.Object(settings))))
    numbers = count()
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def register(password: str) -> None:
            n = next(numbers)
            body = {"email": f"u{n}@example.com", "username": f"user{n}", "password": password}
            assert (await client.post("/users/", json=body)).status_code == 201

        await register(NORMAL)
        normal = await _fastest(lambda: register(NORMAL))
        crafted = await _fastest(lambda: register(CRAFTED))

    async def estimate(password: str) -> None:
        await PASSWORD_STRENGTH.refuse_if_weak(password, user_inputs=())

    normal_estimate = await _fastest(lambda: estimate(NORMAL))
    crafted_estimate = await _fastest(lambda: estimate(CRAFTED))
    print(
        f"\nregistration: normal {normal * 1000:.0f} ms, crafted {crafted * 1000:.0f} ms "
        f"(x{crafted / normal:.2f}); the estimate alone: normal {normal_estimate * 1000:.1f} ms, "
        f"crafted {crafted_estimate * 1000:.1f} ms (x{crafted_estimate / normal_estimate:.1f})"
    )
    assert crafted < 2 * normal
