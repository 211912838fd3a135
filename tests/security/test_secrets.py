"""Secrets an operator might deploy by mistake: long but trivial, or public.

Two attacks. A JWT_SECRET of 64 times the same character passed the length
check, yet anyone guessing trivial keys finds it at once and signs tokens
for any account; production now refuses such degenerate secrets. And the
development secret is in the source: `serve --host 0.0.0.0` with it let
anyone on the network sign tokens; serve now binds only loopback with it.
"""

import secrets
import subprocess
from typing import Literal

import pytest
from pydantic import ValidationError

from tests.conftest import make_settings
from tests.support.cli import CLI
from tests.support.live_server import command_environment, free_port
from tests.support.paths import PROJECT_ROOT

DEGENERATE_SECRETS = {
    "one character": "a" * 64,
    "only spaces": " " * 64,
    "only whitespace": " \t" * 32,
    "two characters alternating": "ab" * 32,
    "a word repeated": "password" * 8,
    "a counting pattern": "0123456789abcdef" * 4,
    "one character and a different last one": "x" * 63 + "y",
    "a tiny alphabet": "".join(secrets.choice("01") for _ in range(64)),
    "a long run, then a little randomness": "x" * 48 + secrets.token_hex(8),
}


@pytest.mark.parametrize("secret", DEGENERATE_SECRETS.values(), ids=DEGENERATE_SECRETS.keys())
def test_production_refuses_a_long_but_degenerate_jwt_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match=r"JWT_SECRET (is|has)"):
        make_settings(environment="production", jwt_secret=secret)


@pytest.mark.parametrize(
    ("algorithm", "make_secret"),
    [
        ("HS256", lambda: secrets.token_urlsafe(48)),
        ("HS256", lambda: secrets.token_urlsafe(32)),
        ("HS256", lambda: secrets.token_hex(16)),
        ("HS256", lambda: secrets.token_hex(32)),
        ("HS512", lambda: secrets.token_urlsafe(64)),
        ("HS512", lambda: secrets.token_hex(256)),
    ],
)
def test_production_accepts_random_secrets(
    algorithm: Literal["HS256", "HS512"], make_secret: object
) -> None:
    assert callable(make_secret)
    for _ in range(200):
        secret = make_secret()
        settings = make_settings(
            environment="production", jwt_secret=secret, jwt_algorithm=algorithm
        )
        assert settings.jwt_secret.get_secret_value() == secret


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "api.example.com"])  # noqa: S104
def test_serve_with_the_development_secret_refuses_a_public_address(host: str) -> None:
    """One line, exit 2 (invalid settings), and nothing bound; before: it served."""
    environment = command_environment(REPOSITORY="memory")
    environment.pop("JWT_SECRET", None)
    environment["ENVIRONMENT"] = "development"

    finished = subprocess.run(
        [*CLI, "serve", "--host", host, "--port", str(free_port())],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert finished.returncode == 2, finished.stderr
    (line,) = finished.stderr.strip().splitlines()
    assert line.startswith("Error: JWT_SECRET is the public development value")
    assert host in line
