"""argon2 within bounds: no hash before the cheaper checks, a few at a time, and a queue that ends.

Issue 13, item 4. Before: a PATCH with a stale `If-Match` hashed the new
password before finding that the precondition failed (120 requests, 120 full
hashes, no 429), and 20 parallel logins took a worker from 165 to 537 MiB,
as asyncio's default executor ran a 64 MiB hash on each of its threads.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from infrastructure.security.executor import BoundedExecutor
from tests.support.accounts import PASSWORD, Account, login, sign_up
from tests.support.apps import App, Build
from tests.support.live_server import serving
from tests.support.problems import assert_problem

NEW_PASSWORD: Final = "violet-kettle-53"
# A hash that lasts long enough (tens of milliseconds) for parallel requests to overlap.
SLOW_HASHING: Final[dict[str, Any]] = {
    "password_hash_time_cost": 4,
    "password_hash_memory_cost": 16384,
    "password_hash_parallelism": 1,
}


def _hashing(app: App) -> BoundedExecutor:
    executor: BoundedExecutor = app.container.password_hash_executor()
    return executor


async def _etag(app: App, account: Account) -> str:
    return (await app.client.get("/users/me", headers=account.headers)).headers["etag"]


async def test_a_stale_if_match_patch_with_a_new_password_costs_no_hash(build: Build) -> None:
    app = build()
    account = await sign_up(app.client)
    stale = await _etag(app, account)
    moved = await app.client.patch(
        "/users/me", json={"username": "moved.on"}, headers=account.headers
    )
    assert moved.status_code == 200
    hashing = _hashing(app)
    before = hashing.completed

    answers = [
        await app.client.patch(
            "/users/me",
            json={"password": NEW_PASSWORD, "current_password": PASSWORD},
            headers=account.headers | {"If-Match": stale},
        )
        for _ in range(10)
    ]

    for answer in answers:
        assert_problem(answer, 412)
    assert hashing.completed == before, "neither the new password nor the current one was hashed"


async def test_a_patch_to_a_taken_email_costs_no_hash(build: Build) -> None:
    app = build()
    await sign_up(app.client, email="taken@example.com")
    account = await sign_up(app.client)
    hashing = _hashing(app)
    before = hashing.completed

    answer = await app.client.patch(
        "/users/me",
        json={"email": "TAKEN@example.com", "password": NEW_PASSWORD, "current_password": PASSWORD},
        headers=account.headers,
    )

    assert_problem(answer, 409, "Email already registered")
    assert hashing.completed == before


async def test_a_wrong_current_password_costs_one_verification_and_no_hash(build: Build) -> None:
    app = build()
    account = await sign_up(app.client)
    hashing = _hashing(app)
    before = hashing.completed

    answer = await app.client.patch(
        "/users/me",
        json={"password": NEW_PASSWORD, "current_password": "a-wrong-guess"},
        headers=account.headers,
    )

    assert_problem(answer, 403)
    assert hashing.completed == before + 1


async def test_parallel_logins_never_hash_more_than_the_concurrency_at_once(build: Build) -> None:
    app = build(**SLOW_HASHING, password_hash_concurrency=2, password_hash_queue=100)
    account = await sign_up(app.client)

    answers = await asyncio.gather(*(login(app.client, account.username) for _ in range(12)))

    assert [answer.status_code for answer in answers] == [200] * 12
    hashing = _hashing(app)
    print(f"\n12 parallel logins: at most {hashing.peak_running} hashes at once")
    assert hashing.peak_running == 2


@pytest.mark.parametrize("caller", ["login", "unknown-login", "registration"])
async def test_a_burst_past_the_hash_queue_gets_503_with_retry_after(
    build: Build, caller: str
) -> None:
    app = build(**SLOW_HASHING, password_hash_concurrency=1, password_hash_queue=1)
    account = await sign_up(app.client)

    async def call(n: int) -> httpx.Response:
        if caller == "registration":
            body = {"email": f"burst{n}@example.com", "username": f"burst{n}", "password": PASSWORD}
            return await app.client.post("/users/", json=body)
        return await login(app.client, account.username if caller == "login" else f"nobody{n}")

    answers = await asyncio.gather(*(call(n) for n in range(8)))

    busy = [answer for answer in answers if answer.status_code == 503]
    served = [answer for answer in answers if answer.status_code != 503]
    assert busy, "past concurrency + queue, a request is refused at once"
    assert served, "the ones admitted are served"
    for answer in busy:
        body = assert_problem(answer, 503)
        assert body["type"] == "/problems/password-work-busy"
        assert int(answer.headers["retry-after"]) >= 1
    refused = _hashing(app).refused + app.container.password_strength_executor().refused
    assert refused == len(busy)


async def test_credential_changes_past_the_limit_are_429(build: Build) -> None:
    app = build(rate_limit_credential_changes="2/hour")
    account = await sign_up(app.client)

    def change(n: int) -> dict[str, str]:
        return {"email": f"changed{n}@example.com", "current_password": PASSWORD}

    first, second = [
        await app.client.patch("/users/me", json=change(n), headers=account.headers)
        for n in range(2)
    ]
    hashing = _hashing(app)
    before = hashing.completed
    third = await app.client.patch("/users/me", json=change(3), headers=account.headers)
    renamed = await app.client.patch(
        "/users/me", json={"username": "still.free"}, headers=account.headers
    )

    assert (first.status_code, second.status_code) == (200, 200)
    body = assert_problem(third, 429)
    assert body["detail"].startswith("Too many changes of this account's password or email")
    assert 1 <= int(third.headers["retry-after"]) <= 3600
    assert hashing.completed == before, "refused before the current password is verified"
    assert renamed.status_code == 200, "a change of the username alone is not limited"


MIB: Final = 1024 * 1024
DEFAULT_MEMORY_COST_KIB: Final = 65536
CONCURRENCY: Final = 2
PARALLEL_LOGINS: Final = 50


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def test_peak_memory_of_50_parallel_logins_stays_within_the_hash_concurrency() -> None:
    """On a served worker, with argon2's real memory cost: idle + concurrency x cost + 32 MiB."""
    environment = {
        "REPOSITORY": "memory",
        "PASSWORD_HASH_TIME_COST": "3",
        "PASSWORD_HASH_MEMORY_COST": str(DEFAULT_MEMORY_COST_KIB),
        "PASSWORD_HASH_PARALLELISM": "4",
        "PASSWORD_HASH_CONCURRENCY": str(CONCURRENCY),
        "PASSWORD_HASH_QUEUE": str(PARALLEL_LOGINS),
    }
    with serving(**environment) as (base_url, process):
        body = {"email": "ada@example.com", "username": "ada", "password": PASSWORD}
        with httpx.Client(base_url=base_url, timeout=120) as client:
            assert client.post("/users/", json=body).status_code == 201
            form = {"username": "ada", "password": PASSWORD}
            assert client.post("/auth/token", data=form).status_code == 200
            idle_kib = _status_kib(process.pid, "VmRSS")
            # Resets VmHWM to the current RSS (proc(5), clear_refs): the peak is this burst's.
            Path(f"/proc/{process.pid}/clear_refs").write_text("5")

            def log_in(_: int) -> int:
                return client.post("/auth/token", data=form).status_code

            with ThreadPoolExecutor(max_workers=PARALLEL_LOGINS) as pool:
                statuses = list(pool.map(log_in, range(PARALLEL_LOGINS)))
            peak_kib = _status_kib(process.pid, "VmHWM")

    bound_kib = idle_kib + CONCURRENCY * DEFAULT_MEMORY_COST_KIB + 32 * 1024
    print(
        f"\n{PARALLEL_LOGINS} parallel logins at 64 MiB each, {CONCURRENCY} at once: idle RSS "
        f"{idle_kib / 1024:.0f} MiB, peak {peak_kib / 1024:.0f} MiB "
        f"(+{(peak_kib - idle_kib) / 1024:.0f} MiB), bound {bound_kib / 1024:.0f} MiB"
    )
    assert statuses == [200] * PARALLEL_LOGINS
    assert peak_kib < bound_kib
