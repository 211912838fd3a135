"""Rate limits under `serve`: uvicorn trusts the same proxies as the app, and no others."""

import httpx

from tests.support.accounts import PASSWORD
from tests.support.live_server import serving


def _register(base_url: str, name: str, forwarded_for: str) -> int:
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    headers = {"X-Forwarded-For": forwarded_for}
    return httpx.post(f"{base_url}/users/", json=body, headers=headers).status_code


def test_without_trusted_proxies_a_forwarded_for_from_localhost_is_ignored() -> None:
    """uvicorn on its own would believe 127.0.0.1's header; `serve` tells it not to."""
    with serving(REPOSITORY="memory", RATE_LIMIT_REGISTRATIONS="1/hour") as (base_url, _):
        first = _register(base_url, "first", "192.0.2.1")
        second = _register(base_url, "second", "192.0.2.2")

    assert (first, second) == (201, 429)


def test_a_trusted_proxy_on_localhost_speaks_for_its_clients() -> None:
    with serving(
        REPOSITORY="memory", RATE_LIMIT_REGISTRATIONS="1/hour", TRUSTED_PROXIES="127.0.0.1"
    ) as (base_url, _):
        statuses = [
            _register(base_url, name, client)
            for name, client in (("one", "192.0.2.1"), ("two", "192.0.2.2"), ("three", "192.0.2.1"))
        ]

    assert statuses == [201, 201, 429]
