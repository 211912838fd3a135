"""A deep `skip` makes PostgreSQL read and drop every row it skips: capped at MAX_SKIP.

Before the cap, `skip` went up to 2^63 - 1; an OFFSET of 300,000 cost over
half a second, and 30 of them in parallel left other clients with 503s.
Deeper pages are reached by cursor, whose cost does not grow with depth.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers

from infrastructure.container import Container
from interfaces.http.app import create_app
from tests.conftest import make_settings
from tests.support.accounts import sign_up
from tests.support.problems import assert_problem

LISTS = ["/users/", "/posts/", "/users/1/posts"]


def _assert_points_to_the_cursor(response: httpx.Response) -> None:
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "skip"]
    assert "cursor" in body["detail"]
    assert "Link" in body["detail"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("skip", [10_001, 300_000, 2**63 - 1, 10**30])
async def test_a_skip_deeper_than_max_skip_is_422_pointing_to_the_cursor(
    client: httpx.AsyncClient, path: str, skip: int
) -> None:
    await sign_up(client)

    _assert_points_to_the_cursor(await client.get(path, params={"skip": skip}))


@pytest.mark.parametrize("path", LISTS)
async def test_a_skip_of_max_skip_is_served(client: httpx.AsyncClient, path: str) -> None:
    await sign_up(client)

    response = await client.get(path, params={"skip": 10_000})

    assert response.status_code == 200, response.text
    assert response.json() == []


@pytest.fixture
async def shallow_client() -> AsyncIterator[httpx.AsyncClient]:
    """An app whose MAX_SKIP is 2: the cap is read from the settings when the app is built."""
    container = Container(settings=providers.Object(make_settings(max_skip=2)))
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_max_skip_is_the_setting_of_the_running_app(
    shallow_client: httpx.AsyncClient,
) -> None:
    for _ in range(4):
        await sign_up(shallow_client)

    served = await shallow_client.get("/users/", params={"skip": 2})
    refused = await shallow_client.get("/users/", params={"skip": 3})

    assert [user["id"] for user in served.json()] == [3, 4]
    _assert_points_to_the_cursor(refused)
    assert "at most 2;" in refused.json()["detail"]


async def test_the_openapi_document_gives_max_skip_as_the_maximum(
    shallow_client: httpx.AsyncClient, memory_client: httpx.AsyncClient
) -> None:
    for client, cap in ((memory_client, 10_000), (shallow_client, 2)):
        document = (await client.get("/openapi.json")).json()
        for path in ("/users/", "/posts/", "/users/{user_id}/posts"):
            (skip,) = [
                p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "skip"
            ]
            assert skip["schema"]["maximum"] == cap
            assert skip["schema"]["minimum"] == 0
