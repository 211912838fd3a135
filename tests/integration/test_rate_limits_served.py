"""Rate limits under `serve`: uvicorn trusts the same proxies as the app, and no others."""

import socket
import subprocess
import sys

import httpx

from infrastructure.settings import PROJECT_ROOT
from tests.integration.accounts import PASSWORD
from tests.integration.live_server import command_environment, serving


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


def test_several_workers_counting_in_memory_are_warned_about() -> None:
    with socket.socket() as taken:
        # A port in use: serve prints its warnings, then uvicorn cannot bind and exits.
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "interfaces", "serve", "--workers", "2", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=command_environment(REPOSITORY="memory"),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    assert result.returncode != 0
    assert "WARNING: 2 workers, each with its own rate-limit counters" in result.stderr
