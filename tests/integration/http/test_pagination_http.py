"""Cursor pagination over HTTP: Link headers, a walk that meets every item once, bad cursors."""

from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, publish, sign_up
from tests.support.problems import assert_problem


async def _walk(
    client: httpx.AsyncClient, url: str, rel: str = "next", between: Any = None
) -> list[dict[str, Any]]:
    """Follow `rel` links from `url` to the end, calling `between()` after each page."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    for _ in range(100):  # a bound, far above what these lists need
        if next_url is None:
            return items
        response = await client.get(next_url)
        assert response.status_code == 200, response.text
        items.extend(response.json())
        link = response.links.get(rel)
        next_url = link["url"] if link else None
        if between is not None:
            await between()
    pytest.fail("the walk did not end")


async def test_no_links_when_everything_fits_on_one_page(client: httpx.AsyncClient) -> None:
    await sign_up(client)

    response = await client.get("/users/?limit=10")

    assert "link" not in response.headers


async def test_the_first_page_links_next_only_and_the_next_links_both(
    client: httpx.AsyncClient,
) -> None:
    for _ in range(5):
        await sign_up(client)

    first = await client.get("/users/?limit=2")
    second = await client.get(first.links["next"]["url"])

    assert set(first.links) == {"next"}
    assert set(second.links) == {"next", "prev"}
    assert "limit=2" in first.links["next"]["url"]
    assert (await client.get(second.links["prev"]["url"])).json() == first.json()


async def test_walking_users_meets_each_once_while_new_ones_register(
    client: httpx.AsyncClient,
) -> None:
    existing = [(await sign_up(client)).id for _ in range(7)]

    async def register_another() -> None:
        await sign_up(client)

    walked = await _walk(client, "/users/?limit=3", between=register_another)

    assert [user["id"] for user in walked][:7] == existing
    assert len({user["id"] for user in walked}) == len(walked), "no duplicates"


@pytest.mark.parametrize("listing", ["/posts/", "/posts/?author_id={id}", "/users/{id}/posts"])
async def test_walking_posts_meets_each_once_while_new_ones_arrive_at_the_head(
    client: httpx.AsyncClient, listing: str
) -> None:
    author = await sign_up(client)
    existing = [(await publish(client, author))["id"] for _ in range(8)]

    async def publish_another() -> None:
        await publish(client, author)

    url = listing.format(id=author.id)
    separator = "&" if "?" in url else "?"
    walked = await _walk(client, f"{url}{separator}limit=3", between=publish_another)

    assert [post["id"] for post in walked] == existing[::-1]


async def test_walking_back_with_prev_links_returns_the_same_items(
    client: httpx.AsyncClient,
) -> None:
    author = await sign_up(client)
    for _ in range(7):
        await publish(client, author)
    forward = await _walk(client, "/posts/?limit=2")
    last_page = await client.get("/posts/?limit=2&skip=6")

    backward = await _walk(client, last_page.links["prev"]["url"], rel="prev")

    assert [p["id"] for p in backward] == [
        p["id"] for page in _pages(forward[:6], 2)[::-1] for p in page
    ]


def _pages(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@pytest.fixture
async def next_link(client: httpx.AsyncClient) -> str:
    author: Account = await sign_up(client)
    for _ in range(3):
        await publish(client, author)
    response = await client.get("/posts/?limit=1")
    url: str = response.links["next"]["url"]
    return url


def _cursor(url: str) -> str:
    return httpx.URL(url).params["cursor"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"), id="signature"),
        pytest.param(lambda c: "e30" + c[3:], id="payload"),
        pytest.param(lambda c: "not-a-cursor", id="garbage"),
        pytest.param(lambda c: "", id="empty"),
        pytest.param(lambda c: c.split(".")[0], id="unsigned"),
        pytest.param(lambda c: "x" * 2000, id="too-long"),
    ],
)
async def test_a_tampered_cursor_is_422_never_500(
    client: httpx.AsyncClient, next_link: str, tamper: Any
) -> None:
    response = await client.get("/posts/", params={"cursor": tamper(_cursor(next_link))})

    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "cursor"]


async def test_a_cursor_of_another_list_is_422(client: httpx.AsyncClient, next_link: str) -> None:
    author_posts = f"/users/1/posts?cursor={_cursor(next_link)}"

    for url in (f"/users/?cursor={_cursor(next_link)}", author_posts):
        assert_problem(await client.get(url), 422)


async def test_a_cursor_with_skip_is_422(client: httpx.AsyncClient, next_link: str) -> None:
    response = await client.get(next_link + "&skip=1")

    assert_problem(response, 422, "skip cannot be combined with a cursor")


async def test_a_repeated_parameter_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/posts/?limit=5&limit=50")

    body = assert_problem(response, 422)
    assert body["errors"] == [
        {
            "loc": ["query", "limit"],
            "msg": "The parameter is given more than once",
            "type": "repeated_parameter",
        }
    ]


async def test_unknown_parameters_are_ignored(client: httpx.AsyncClient) -> None:
    assert (await client.get("/posts/?utm_source=newsletter")).status_code == 200
