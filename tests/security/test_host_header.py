"""Nothing the service writes points where the request's `Host` says.

`Host` is the client's to write. A link built from it lets anyone who can
send a request (or poison a cache in front) make the service hand out URLs to
a host of their choosing. Links are relative references, or absolute under
PUBLIC_BASE_URL, which the operator sets.
"""

from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers

from infrastructure.container import Container
from interfaces.http.app import create_app
from tests.conftest import make_settings
from tests.support.accounts import PASSWORD, publish, sign_up

HOSTILE = {"host": "attacker.example"}


async def _linked_page(client: httpx.AsyncClient) -> httpx.Response:
    """The second of three one-post pages, asked for with a hostile Host: it links both ways."""
    author = await sign_up(client)
    for _ in range(3):
        await publish(client, author)
    first = await client.get("/posts/?limit=1", headers=HOSTILE)
    cursor = httpx.URL(first.links["next"]["url"]).params["cursor"]
    return await client.get("/posts/", params={"limit": 1, "cursor": cursor}, headers=HOSTILE)


async def test_a_hostile_host_header_never_reaches_the_link_header(
    client: httpx.AsyncClient,
) -> None:
    page = await _linked_page(client)

    assert "attacker" not in page.headers["link"]
    for rel in ("next", "prev"):
        assert page.links[rel]["url"].startswith("/posts/?limit=1&cursor="), page.headers["link"]


async def test_a_hostile_host_header_never_reaches_a_location(client: httpx.AsyncClient) -> None:
    body = {"email": "host@example.com", "username": "host", "password": PASSWORD}
    created = await client.post("/users/", json=body, headers=HOSTILE | {"idempotency-key": "k"})
    replayed = await client.post("/users/", json=body, headers=HOSTILE | {"idempotency-key": "k"})
    # Starlette redirects `/users/1/` to `/users/1` with an absolute URL made from the Host.
    slashed = await client.get(f"/users/{created.json()['id']}/", headers=HOSTILE)

    assert created.headers["location"] == replayed.headers["location"] == "/users/1"
    assert "location" not in slashed.headers
    assert slashed.status_code == 404


@pytest.fixture
async def public_client() -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(public_base_url="https://api.example.com/v1/")
    transport = httpx.ASGITransport(app=create_app(Container(settings=providers.Object(settings))))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_links_are_absolute_under_public_base_url_whatever_the_host(
    public_client: httpx.AsyncClient,
) -> None:
    page = await _linked_page(public_client)

    for rel in ("next", "prev"):
        url = page.links[rel]["url"]
        assert url.startswith("https://api.example.com/v1/posts/?limit=1&cursor="), url
