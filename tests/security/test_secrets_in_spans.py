"""Traces leave the service for a collector others read: no password or token goes with them.

Every span of a registration, a login, an authenticated write and a password
change, statements included, is searched for the passwords, the bearer
tokens and the password hash; and an operator who asks the instrumentation
to capture every header still gets `Authorization` redacted.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from infrastructure.observability.tracing import Tracing
from infrastructure.persistence.database import Databases
from tests.conftest import make_settings
from tests.support.tracing import attribute_values, in_memory_tracing, traced_client

pytestmark = pytest.mark.postgres

PASSWORD = "correct-horse-battery-9"
NEW_PASSWORD = "violet-kettle-stapler-53"


@pytest.fixture
def tracing() -> tuple[Tracing, InMemorySpanExporter]:
    return in_memory_tracing()


@pytest.fixture
async def client(
    tracing: tuple[Tracing, InMemorySpanExporter], database_url: str, pg_databases: Databases
) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(repository="postgres", database_url=database_url)
    async with traced_client(settings, tracing[0]) as client:
        yield client


async def _log_in(client: httpx.AsyncClient, password: str) -> str:
    answer = await client.post("/auth/token", data={"username": "ada", "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def _a_session(client: httpx.AsyncClient) -> list[str]:
    """Register, log in, write, change the password, log in again: the secrets it used."""
    created = await client.post(
        "/users/", json={"email": "ada@example.com", "username": "ada", "password": PASSWORD}
    )
    assert created.status_code == 201, created.text
    token = await _log_in(client, PASSWORD)
    bearer = {"Authorization": f"Bearer {token}"}
    posted = await client.post("/posts/", json={"title": "t", "content": "c"}, headers=bearer)
    assert posted.status_code == 201, posted.text
    changed = await client.patch(
        "/users/me",
        json={"password": NEW_PASSWORD, "current_password": PASSWORD},
        headers=bearer | {"If-Match": created.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    return [PASSWORD, NEW_PASSWORD, token, await _log_in(client, NEW_PASSWORD)]


async def test_passwords_bearer_tokens_and_hashes_never_reach_a_span_attribute(
    client: httpx.AsyncClient, tracing: tuple[Tracing, InMemorySpanExporter]
) -> None:
    secrets = await _a_session(client)

    spans = tracing[1].get_finished_spans()
    values = attribute_values(spans)
    assert any("INSERT INTO users" in value for value in values), "the statements were traced"
    assert [value for value in values if any(secret in value for secret in secrets)] == []
    assert [value for value in values if "$argon2" in value] == []


async def test_authorization_stays_redacted_when_an_operator_captures_every_header(
    client: httpx.AsyncClient,
    tracing: tuple[Tracing, InMemorySpanExporter],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Read by the instrumentation when the app's middleware is built, at its first request.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", ".*")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE", ".*")

    secrets = await _a_session(client)

    spans = tracing[1].get_finished_spans()
    captured = {
        key: value
        for span in spans
        for key, value in (span.attributes or {}).items()
        if key.startswith("http.request.header.")
    }
    assert "http.request.header.content_type" in captured, "every header was captured"
    assert captured["http.request.header.authorization"] == ("[REDACTED]",)
    values = attribute_values(spans)
    assert [value for value in values if any(secret in value for secret in secrets)] == []
