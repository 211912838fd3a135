"""CORS from settings, and the security headers on every response."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from infrastructure.container import build_container
from interfaces.http.app import create_app
from tests.conftest import make_settings
from tests.support.problems import assert_problem

ALLOWED = "https://app.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, authorization",
}


async def _client(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(build_container(make_settings(**settings))))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def cors_client() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(cors_allow_origins=[ALLOWED]):
        yield client


@pytest.fixture
async def tls_client() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(behind_tls=True):
        yield client


async def test_no_origin_is_allowed_by_default(memory_client: httpx.AsyncClient) -> None:
    preflight = await memory_client.options("/posts/", headers={"Origin": ALLOWED, **PREFLIGHT})
    simple = await memory_client.get("/posts/", headers={"Origin": ALLOWED})

    assert_problem(preflight, 405)
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers


async def test_an_allowed_origins_preflight_is_answered(cors_client: httpx.AsyncClient) -> None:
    response = await cors_client.options("/posts/", headers={"Origin": ALLOWED, **PREFLIGHT})

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type"} <= {h.strip() for h in allowed_headers.split(",")}


async def test_an_allowed_origin_may_read_the_paging_and_tracing_headers(
    cors_client: httpx.AsyncClient,
) -> None:
    response = await cors_client.get("/posts/", headers={"Origin": ALLOWED})

    assert response.headers["access-control-allow-origin"] == ALLOWED
    exposed = {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"Link", "Location", "X-Request-ID", "Retry-After"} <= exposed


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", **PREFLIGHT},
        {"Origin": ALLOWED, "Access-Control-Request-Method": "PUT"},
        {
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-secret",
        },
    ],
    ids=["origin", "method", "header"],
)
async def test_other_preflights_are_refused_as_problems(
    cors_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await cors_client.options("/posts/", headers=headers)

    body = assert_problem(response, 400)
    assert "Disallowed CORS" in body["detail"]
    assert response.headers.get("access-control-allow-origin") != "https://evil.example"


async def test_a_simple_request_from_another_origin_gets_no_cors_headers(
    cors_client: httpx.AsyncClient,
) -> None:
    response = await cors_client.get("/posts/", headers={"Origin": "https://evil.example"})

    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("path", ["/posts/", "/no/such/path", "/health/live", "/docs"])
async def test_every_response_carries_the_security_headers(
    memory_client: httpx.AsyncClient, path: str
) -> None:
    response = await memory_client.get(path)

    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers


async def test_token_responses_are_never_cached(memory_client: httpx.AsyncClient) -> None:
    response = await memory_client.post("/auth/token", data={"username": "x", "password": "y"})

    assert response.headers["cache-control"] == "no-store"


async def test_hsts_only_behind_tls(tls_client: httpx.AsyncClient) -> None:
    response = await tls_client.get("/health/live")

    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_cors_settings_read_comma_separated_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://a.example, https://b.example")
    from infrastructure.settings import Settings  # noqa: PLC0415 - reads the patched environment

    assert Settings(_env_file=None).cors_allow_origins == ["https://a.example", "https://b.example"]
