"""Health probes, request ids, and what reaches the logs."""

import json
import logging
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from infrastructure.container import build_container, running
from infrastructure.observability.logging import JsonFormatter, RequestIdFilter
from infrastructure.persistence import migrator
from interfaces.http.app import create_app
from tests.conftest import make_settings
from tests.support.accounts import login, sign_up
from tests.support.problems import assert_problem


async def test_liveness_needs_nothing(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readiness_when_the_database_answers_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def _client_for(**settings: object) -> AsyncIterator[httpx.AsyncClient]:
    container = build_container(make_settings(repository="postgres", **settings))
    transport = httpx.ASGITransport(app=create_app(container))
    async with (
        running(container),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


@pytest.fixture
async def unreachable() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client_for(
        database_url="postgresql://x@127.0.0.1:9/none", health_timeout=1
    ):
        yield client


@pytest.fixture
async def unmigrated(create_database: Callable[[], str]) -> AsyncIterator[httpx.AsyncClient]:
    url = create_database()
    async for client in _client_for(database_url=url):
        yield client


async def test_not_ready_when_the_database_is_out_of_reach(unreachable: httpx.AsyncClient) -> None:
    response = await unreachable.get("/health/ready")

    body = assert_problem(response, 503)
    assert body["detail"].startswith("Not ready: the database")
    assert response.headers["retry-after"] == "5"
    assert (await unreachable.get("/health/live")).status_code == 200, "alive all the same"


@pytest.mark.postgres
async def test_not_ready_when_the_schema_is_behind(unmigrated: httpx.AsyncClient) -> None:
    response = await unmigrated.get("/health/ready")

    assert_problem(
        response,
        503,
        f"Not ready: the schema is at no revision, this code needs {migrator.head_revision()}",
    )


async def test_a_request_id_is_made_or_kept_and_returned(client: httpx.AsyncClient) -> None:
    made = await client.get("/health/live")
    kept = await client.get("/health/live", headers={"X-Request-ID": "trace-42.a_b"})
    refused = await client.get("/health/live", headers={"X-Request-ID": "bad id\\n" + "x" * 200})

    assert len(made.headers["x-request-id"]) == 32
    assert kept.headers["x-request-id"] == "trace-42.a_b"
    assert refused.headers["x-request-id"] != "bad id\\n"
    assert len(refused.headers["x-request-id"]) == 32


async def test_errors_carry_the_request_id_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/users/999999", headers={"X-Request-ID": "err-1"})

    assert response.status_code == 404
    assert response.headers["x-request-id"] == "err-1"


async def test_the_access_log_has_method_path_status_duration_and_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.DEBUG, logger="interfaces.http.access"):
        await client.get("/users/?limit=5", headers={"X-Request-ID": "access-1"})
        await client.get("/health/live")

    lines = [r for r in caplog.records if r.name == "interfaces.http.access"]
    users_line, health_line = lines[-2], lines[-1]
    assert (users_line.levelno, health_line.levelno) == (logging.INFO, logging.DEBUG)
    assert users_line.__dict__["method"] == "GET"
    assert users_line.__dict__["path"] == "/users/"
    assert users_line.__dict__["status"] == 200
    assert users_line.__dict__["duration_ms"] >= 0
    assert users_line.__dict__["request_id"] == "access-1"
    rendered = json.loads(JsonFormatter().format(users_line))
    assert {"time", "level", "logger", "message", "method", "path", "status", "duration_ms"} <= set(
        rendered
    )


async def test_no_password_or_token_reaches_the_logs(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        account = await sign_up(client, password="Very-Secret-Pass-1")
        token_response = await login(client, account.username, "Very-Secret-Pass-1")
        await login(client, account.username, "Wrong-Secret-Pass-2")
        await client.get("/users/me", headers=account.headers)
        await client.get("/users/me", headers={"Authorization": "Bearer forged.token.value"})

    logged = "\\n".join(
        [JsonFormatter().format(record) for record in caplog.records] + [caplog.text]
    )
    token = token_response.json()["access_token"]
    for secret in (
        "Very-Secret-Pass-1",
        "Wrong-Secret-Pass-2",
        token,
        account.token,
        "forged.token.value",
        "Bearer",
    ):
        assert secret not in logged


async def test_a_500_is_logged_with_its_traceback_and_request_id(
    broken_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.ERROR):
        response = await broken_client.get("/users/1", headers={"X-Request-ID": "boom-7"})

    assert response.headers["x-request-id"] == "boom-7"
    (failure,) = [record for record in caplog.records if record.exc_info]
    assert failure.__dict__["request_id"] == "boom-7"
    assert "Traceback" in JsonFormatter().format(failure)
