"""Every error is an RFC 9457 problem document, whichever layer raised it."""

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers

from infrastructure.container import Container, running
from interfaces.http.app import create_app
from interfaces.http.middleware import MAX_BODY_BYTES
from tests.conftest import make_settings
from tests.support.accounts import publish, sign_up
from tests.support.problems import assert_problem


async def test_an_unknown_path_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/no/such/thing"), 404)

    assert body["type"] == "about:blank"
    assert body["title"] == "Not Found"


async def test_a_wrong_method_is_a_405_problem_naming_the_allowed_ones(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put("/posts/1", json={})

    body = assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, PATCH"
    assert body["detail"] == "PUT is not allowed here; allowed: DELETE, GET, PATCH"
    collection = await client.delete("/users/")
    assert collection.headers["allow"] == "GET, POST"


async def test_a_missing_token_is_a_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/users/me")

    assert_problem(response, 401, "Not authenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_domain_errors_have_their_own_type(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/users/424242"), 404, "User not found")

    assert body["type"] == "/problems/user-not-found"


async def test_a_422_lists_every_invalid_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/users/", json={"email": "nope", "username": "x", "password": "short", "extra": 1}
    )

    body = assert_problem(response, 422)
    assert body["type"] == "/problems/invalid-request"
    fields = {tuple(error["loc"]) for error in body["errors"]}
    assert fields == {
        ("body", "email"),
        ("body", "username"),
        ("body", "password"),
        ("body", "extra"),
    }
    assert all(set(error) == {"loc", "msg", "type"} for error in body["errors"])
    assert "(and 3 more)" in body["detail"]


async def test_malformed_json_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/users/", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )

    body = assert_problem(response, 422)
    assert body["errors"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("raw", [b"\xff", '{"username": "zo\u00eb"}'.encode("latin-1")])
async def test_a_body_that_is_not_utf_8_is_a_422_problem(
    client: httpx.AsyncClient, raw: bytes
) -> None:
    response = await client.post(
        "/users/", content=raw, headers={"Content-Type": "application/json"}
    )

    body = assert_problem(response, 422)
    assert body["title"] == "Unprocessable Content"
    assert body["errors"] == [
        {"loc": ["body"], "msg": "The body is not valid JSON in UTF-8", "type": "json_invalid"}
    ]


@pytest.mark.parametrize(
    "headers",
    [{"Content-Type": "text/plain"}, {}, {"Content-Type": "application/x-www-form-urlencoded"}],
    ids=["text", "none", "form"],
)
async def test_a_body_that_is_not_declared_json_is_a_415_problem(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = b'{"email": "a@example.com", "username": "abc", "password": "pass-word-1"}'

    response = await client.post("/users/", content=body, headers=headers)

    assert_problem(response, 415, "The request body must be JSON, sent as application/json")
    assert (await client.get("/users/")).json() == []


async def test_json_with_a_charset_or_a_json_suffix_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"email": "a@example.com", "username": "abc", "password": "pass-word-1"}'

    response = await client.post(
        "/users/", content=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )

    assert response.status_code == 201


async def test_a_declared_body_over_1_mib_is_refused_unread(client: httpx.AsyncClient) -> None:
    author = await sign_up(client)
    oversized = b"x" * (MAX_BODY_BYTES + 1)

    response = await client.post(
        "/posts/",
        content=oversized,
        headers=author.headers | {"Content-Type": "application/json"},
    )

    limit = f"The request body is larger than the limit of {MAX_BODY_BYTES} bytes"
    assert_problem(response, 413, limit)


async def test_a_streamed_body_over_1_mib_is_refused_as_it_arrives(
    client: httpx.AsyncClient,
) -> None:
    author = await sign_up(client)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"title": "t", "content": "'
        for _ in range(64):
            sent += 64 * 1024
            yield b"x" * (64 * 1024)
        yield b'"}'

    response = await client.post(
        "/posts/", content=chunks(), headers=author.headers | {"Content-Type": "application/json"}
    )

    assert_problem(response, 413)
    assert (await client.get("/posts/")).json() == []


async def test_a_body_just_under_the_limit_is_read(client: httpx.AsyncClient) -> None:
    author = await sign_up(client)
    post = await publish(client, author, content="y" * 100_000)

    assert len(post["content"]) == 100_000


async def test_an_unexpected_error_is_a_500_problem_that_reveals_nothing(
    broken_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await broken_client.get("/users/1")

    body = assert_problem(response, 500)
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    logged = [record for record in caplog.records if record.exc_info]
    assert logged, "the failure is logged with its traceback"
    assert "do not leak me" in str(logged[0].exc_info[1])  # type: ignore[index]
    assert body["type"] == "about:blank"


@pytest.fixture
async def unreachable_client() -> AsyncIterator[httpx.AsyncClient]:
    """The app pointed at a port where no database listens."""
    settings = make_settings(
        repository="postgres",
        database_url="postgresql://nobody@127.0.0.1:9/none",
        db_connect_timeout=2,
        db_pool_timeout=2,
    )
    container = Container(settings=providers.Object(settings))
    transport = httpx.ASGITransport(app=create_app(container))
    async with (
        running(container),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


async def test_an_unreachable_database_is_a_503_with_retry_after(
    unreachable_client: httpx.AsyncClient,
) -> None:
    response = await asyncio.wait_for(unreachable_client.get("/users/1"), timeout=30)

    body = assert_problem(response, 503, "The database is unavailable; try again shortly")
    assert response.headers["retry-after"] == "5"
    assert body["type"] == "/problems/storage-unavailable"


@pytest.mark.postgres
async def test_an_exhausted_pool_is_a_503_after_its_timeout(database_url: str) -> None:
    settings = make_settings(
        repository="postgres",
        database_url=database_url,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout=0.5,
    )
    container = Container(settings=providers.Object(settings))
    transport = httpx.ASGITransport(app=create_app(container))
    async with running(container):
        pool = container.primary_database().pool
        await pool.wait()
        async with (
            pool.connection(),  # holds the only connection
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            response = await asyncio.wait_for(client.get("/users/1"), timeout=30)
            assert_problem(response, 503)
            assert response.headers["retry-after"] == "5"
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/users/1")).status_code == 404, "healthy once freed"
